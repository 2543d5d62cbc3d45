package dev.sail.volumes.reliability;

import static org.awaitility.Awaitility.await;

import dev.sail.volumes.service.VolumeServer;
import dev.sail.volumes.service.cli.ServiceMain;
import dev.sail.volumes.testkit.S3ServerFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The real volume service as its own process ({@code ServiceMain serve}), as an operator runs it, on a
 * fixed port of {@code 127.0.0.1} (kept across restarts, so clients find it again by themselves) and an
 * external S3 given by endpoint (an {@link S3ServerFixture} of the test, or a proxy in front of it).
 * {@link #kill()} is {@code kill -9}. Its output goes to {@code serve.log} beside the data dir, every
 * start appended. Not thread-safe; {@link #close()} kills the process.
 */
final class ServiceProcess implements AutoCloseable {
    private final Path dataDir;
    private final Path configFile;
    private final Path log;
    /** The process's java.io.tmpdir: RocksDB inflates its 17 MiB library there, and a kill -9 leaves it behind. */
    private final Path tmpDir;
    private final int port;
    private Process process;

    ServiceProcess(Path dataDir, S3ServerFixture s3, URI s3Endpoint) {
        this.dataDir = dataDir;
        this.configFile = dataDir.resolveSibling(dataDir.getFileName() + "-service.properties");
        this.log = dataDir.resolveSibling(dataDir.getFileName() + "-serve.log");
        this.tmpDir = dataDir.resolveSibling(dataDir.getFileName() + "-tmp");
        this.port = freePort();
        Properties p = new Properties();
        p.setProperty("s3.bucket", s3.bucket());
        p.setProperty("s3.endpoint", s3Endpoint.toString());
        p.setProperty("s3.pathStyle", "true");
        p.setProperty("s3.region", s3.region());
        p.setProperty("s3.accessKeyId", s3.accessKey());
        p.setProperty("s3.secretAccessKey", s3.secretKey());
        p.setProperty("gc.intervalSeconds", "0");
        try {
            Files.createDirectories(dataDir);
            Files.createDirectories(tmpDir);
            try (var out = Files.newBufferedWriter(configFile)) {
                p.store(out, "reliability tests");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the service and waits until it answers {@code /healthz}. */
    void start() {
        try {
            process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx512m",
                    "-Djava.io.tmpdir=" + tmpDir, "-cp", System.getProperty("java.class.path"), ServiceMain.class.getName(), "serve",
                    "--data", dataDir.toString(), "--port", Integer.toString(port), "--config", configFile.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the service process", e);
        }
        try (HttpClient http = HttpClient.newHttpClient()) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("The service exited with " + process.exitValue() + ": " + Files.readString(log));
                }
                try {
                    return http.send(HttpRequest.newBuilder(url().resolve("/healthz")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }

    /** SIGKILL: no shutdown hook, no drain, no flush. */
    void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    String apiKey() {
        try {
            return Files.readString(dataDir.resolve(VolumeServer.API_KEY_FILE)).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Everything the service printed in every run so far. */
    String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
