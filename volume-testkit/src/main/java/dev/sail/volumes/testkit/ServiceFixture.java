package dev.sail.volumes.testkit;

import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.client.HttpChunkTransfer;
import dev.sail.volumes.client.HttpVolumeService;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.service.ServiceConfig;
import dev.sail.volumes.service.VolumeServer;
import dev.sail.volumes.service.storage.S3Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real volume service in this JVM, on {@code 127.0.0.1} and a free port, with a temporary data
 * directory (RocksDB) and an in-process S3 server ({@link S3ServerFixture}) as its external S3.
 *
 * <pre>{@code
 * try (ServiceFixture service = ServiceFixture.start()) {
 *     VolumeService client = service.client();           // org 'default'
 *     VolumeInfo info = client.createVolumeIfMissing(VolumeName.of("v"));
 * }
 * // or: ServiceFixture.builder().chunkLayout(new ChunkLayout(4096, 1 << 20, 65536)).start()
 * }</pre>
 *
 * Thread-safe. {@link #close()} closes the clients it handed out, the service, the S3 server and deletes
 * the data directory; safe to call twice. {@link #restart()} restarts the service on the same data.
 */
public final class ServiceFixture implements AutoCloseable {
    private final Builder settings;
    private final S3ServerFixture s3;
    private final FaultyS3Proxy faults;
    private final Path dataDir;
    private final List<AutoCloseable> clients = new ArrayList<>();
    private VolumeServer server;
    private boolean closed;

    /** Options for {@link #start()}. */
    public static final class Builder {
        private ChunkLayout chunkLayout = ChunkLayout.STANDARD;
        private long maxBodyBytes = 64L << 20;
        private Duration presignExpiry = Duration.ofMinutes(5);
        private boolean checksums = true;
        private boolean faultyS3;

        private Builder() {
        }

        /** The layout of new volumes (small chunks make small tests). */
        public Builder chunkLayout(ChunkLayout layout) {
            this.chunkLayout = layout;
            return this;
        }

        public Builder maxBodyBytes(long max) {
            this.maxBodyBytes = max;
            return this;
        }

        public Builder presignExpiry(Duration expiry) {
            this.presignExpiry = expiry;
            return this;
        }

        /** Leave {@code x-amz-checksum-sha256} out of presigned PUTs (default: bound in). */
        public Builder withoutChecksums() {
            this.checksums = false;
            return this;
        }

        /**
         * Put a {@link FaultyS3Proxy} between the service (and the presigned URLs it hands out) and the S3
         * server; {@link ServiceFixture#faults()} sets its rules.
         */
        public Builder withFaultyS3() {
            this.faultyS3 = true;
            return this;
        }

        public ServiceFixture start() {
            return new ServiceFixture(this);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The service with default settings (the standard chunk layout). */
    public static ServiceFixture start() {
        return builder().start();
    }

    private ServiceFixture(Builder settings) {
        this.settings = settings;
        this.s3 = S3ServerFixture.startTransient();
        this.faults = settings.faultyS3 ? FaultyS3Proxy.start(s3.endpoint()) : null;
        boolean success = false;
        try {
            this.dataDir = Files.createTempDirectory("sail-service-");
            this.server = VolumeServer.start(config());
            success = true;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the service's data directory", e);
        } finally {
            if (!success) {
                if (faults != null) {
                    faults.close();
                }
                s3.close();
            }
        }
    }

    private ServiceConfig config() {
        S3Settings s3Settings = new S3Settings(Optional.of(faults != null ? faults.endpoint() : s3.endpoint()), s3.region(), s3.bucket(), true,
                Optional.of(new S3Settings.StaticKey(s3.accessKey(), s3.secretKey())), settings.presignExpiry, settings.checksums);
        return ServiceConfig.defaults(dataDir)
                .withPort(0)
                .withS3(s3Settings)
                .withChunkLayout(settings.chunkLayout)
                .withMaxBodyBytes(settings.maxBodyBytes)
                .withPresignExpiry(settings.presignExpiry)
                .withGc(Duration.ZERO, Duration.ZERO);
    }

    /** {@code http://127.0.0.1:<port>}. */
    public synchronized URI baseUrl() {
        return server.baseUrl();
    }

    /** The API key of org {@code default}. */
    public synchronized String apiKey() {
        return server.defaultOrgKey();
    }

    public synchronized String adminKey() {
        return server.adminKey();
    }

    /** A client of org {@code default}; closed with the fixture. */
    public VolumeService client() {
        return client(apiKey());
    }

    /** A client acting with {@code apiKey}; closed with the fixture. */
    public synchronized VolumeService client(String apiKey) {
        HttpVolumeService client = new HttpVolumeService(baseUrl(), apiKey);
        clients.add(client);
        return client;
    }

    /** A chunk transfer engine (8 in flight); closed with the fixture. */
    public synchronized HttpChunkTransfer transfer() {
        HttpChunkTransfer transfer = new HttpChunkTransfer();
        clients.add(transfer);
        return transfer;
    }

    /** Creates an org through the admin API and answers its API key. */
    public String createOrg(String name) {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(baseUrl().resolve("/v1/admin/orgs"))
                    .header("Authorization", "Bearer " + adminKey())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            Matcher key = Pattern.compile("\"apiKey\":\"([^\"]+)\"").matcher(response.body());
            if (response.statusCode() != 201 || !key.find()) {
                throw new IllegalStateException("Cannot create org '" + name + "': HTTP " + response.statusCode() + " " + response.body());
            }
            return key.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create org '" + name + "'", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating org '" + name + "'", e);
        }
    }

    /** Stops the service (gracefully) and starts it again on the same data and S3; the port changes. */
    public synchronized void restart() {
        server.close();
        server = VolumeServer.start(config());
    }

    /**
     * Stops the service (gracefully) and starts it again on the same data, S3 and port, so clients
     * holding the old URL reach it again by themselves.
     */
    public synchronized void restartOnSamePort() {
        restartOnSamePort(Duration.ZERO);
    }

    /**
     * As {@link #restartOnSamePort()}, staying down for at least {@code downtime} in between: an outage
     * longer than a client's quick reconnect attempts, which every client in flight then notices.
     */
    public synchronized void restartOnSamePort(Duration downtime) {
        int port = server.baseUrl().getPort();
        server.close();
        try {
            // A deliberate outage of a fixed length: there is no event to wait for, only time passing.
            Thread.sleep(downtime.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted during a restart's downtime", e);
        }
        server = VolumeServer.start(config().withPort(port));
    }

    /** The fault-injecting proxy in front of S3; only with {@link Builder#withFaultyS3()}. */
    public FaultyS3Proxy faults() {
        if (faults == null) {
            throw new IllegalStateException("This service runs without a faulty S3 proxy: build it withFaultyS3()");
        }
        return faults;
    }

    /** The running server (for its garbage collector, say). */
    public synchronized VolumeServer server() {
        return server;
    }

    public S3ServerFixture s3() {
        return s3;
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (AutoCloseable client : clients) {
            try {
                client.close();
            } catch (Exception e) {
                // A client that cannot close holds nothing the test needs.
            }
        }
        try {
            server.close();
        } finally {
            try {
                if (faults != null) {
                    faults.close();
                }
                s3.close();
            } finally {
                S3ServerFixture.deleteTree(dataDir);
            }
        }
    }
}
