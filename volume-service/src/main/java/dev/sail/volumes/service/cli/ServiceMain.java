package dev.sail.volumes.service.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sail.volumes.manifest.WireCodec;
import dev.sail.volumes.service.ServiceConfig;
import dev.sail.volumes.service.VolumeServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sail-volume serve} and {@code sail-volume admin ...}: the control-plane commands. */
@Command(name = "sail-volume", subcommands = {ServiceMain.Serve.class, ServiceMain.Admin.class},
        mixinStandardHelpOptions = true, description = "The Sail Volumes service.")
public final class ServiceMain {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line, with errors reported as one line (the stack trace is of no use to a user). */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new ServiceMain());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("sail-volume: " + e.getMessage());
            return 1;
        });
        return cli;
    }

    static Path defaultDataDir() {
        String env = System.getenv("SAIL_VOLUME_DATA");
        return Path.of(env != null ? env : System.getProperty("user.home") + "/.sail-volume");
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Run the volume service (embedded RocksDB and S3 unless configured otherwise).")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--data", description = "Data directory (default: $SAIL_VOLUME_DATA or ~/.sail-volume).")
        Path data;

        @Option(names = "--port", description = "API port (default 7400; 0 picks a free one).")
        Integer port;

        @Option(names = "--host", description = "API bind address (default 127.0.0.1).")
        String host;

        @Option(names = "--config", description = "A properties file: external S3, GC, limits (see docs/service.md).")
        Path config;

        @Override
        public Integer call() throws InterruptedException {
            Path dataDir = data != null ? data : defaultDataDir();
            ServiceConfig settings = ServiceConfig.defaults(dataDir);
            Path file = config != null ? config : dataDir.resolve("service.properties");
            if (config != null || Files.exists(file)) {
                settings = settings.withFile(file);
            }
            if (host != null) {
                settings = settings.withHost(host);
            }
            if (port != null) {
                settings = settings.withPort(port);
            }
            VolumeServer server = VolumeServer.start(settings);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                stopped.countDown();
            }, "shutdown"));
            System.out.println("Volume service listening on " + server.baseUrl());
            System.out.println("Org API key: " + dataDir.resolve(VolumeServer.API_KEY_FILE) + "  admin key: "
                    + dataDir.resolve(VolumeServer.ADMIN_KEY_FILE));
            stopped.await();
            return 0;
        }
    }

    @Command(name = "admin", mixinStandardHelpOptions = true, subcommands = CreateOrg.class,
            description = "Administer a running service with its admin key.")
    static final class Admin {
    }

    @Command(name = "create-org", mixinStandardHelpOptions = true,
            description = "Create an org; prints its API key as the last line.")
    static final class CreateOrg implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", description = "The org's name.")
        String name;

        @Option(names = "--data", description = "The service's data directory (holds admin-key and service-url).")
        Path data;

        @Option(names = "--url", description = "The service URL (default: <data>/service-url).")
        URI url;

        @Override
        public Integer call() throws Exception {
            Path dataDir = data != null ? data : defaultDataDir();
            URI base = url != null ? url : URI.create(Files.readString(dataDir.resolve(VolumeServer.URL_FILE)).trim());
            String adminKey = Files.readString(dataDir.resolve(VolumeServer.ADMIN_KEY_FILE)).trim();
            String body = new String(WireCodec.bytes(WireCodec.mapper().createObjectNode().put("name", name)), StandardCharsets.UTF_8);
            try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve("/v1/admin/orgs"))
                        .header("Authorization", "Bearer " + adminKey)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                JsonNode answer = WireCodec.parse(response.body().getBytes(StandardCharsets.UTF_8));
                if (response.statusCode() != 201) {
                    spec.commandLine().getErr().println("sail-volume: cannot create org '" + name + "': "
                            + answer.path("error").path("message").asText("HTTP " + response.statusCode()));
                    return 1;
                }
                spec.commandLine().getOut().println("Created org '" + name + "'. Its API key:");
                spec.commandLine().getOut().println(answer.path("apiKey").asText());
                return 0;
            }
        }
    }
}
