package dev.sail.volumes.service;

import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.service.storage.S3Settings;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * How to run the service. Everything but the data directory has a default: with no S3 settings the
 * service runs an embedded S3 server (S3Proxy) storing under {@code <data>/s3}.
 *
 * @param dataDir        RocksDB under {@code manifests/}, embedded S3 under {@code s3/}, key files
 * @param host           the address the API binds
 * @param port           the API port; 0 picks a free one
 * @param s3             an external S3, or empty for the embedded one
 * @param embeddedS3     where the embedded S3 listens (ignored with an external S3)
 * @param presignExpiry  how long presigned URLs stay valid (embedded S3; an external one sets its own)
 * @param maxBodyBytes   the largest request body accepted (413 above)
 * @param chunkLayout    the layout of new volumes
 * @param gcInterval     how often GC runs; zero disables the schedule
 * @param gcGrace        how long an unreferenced chunk survives; must exceed presign expiry plus the longest commit
 * @param retainCommits  how many of each volume's newest commits stay readable (older states and the chunks only
 *                       they reference are reclaimed by GC); 0 keeps all history
 */
public record ServiceConfig(Path dataDir, String host, int port, Optional<S3Settings> s3, EmbeddedS3Address embeddedS3,
                            Duration presignExpiry, long maxBodyBytes, ChunkLayout chunkLayout, Duration gcInterval,
                            Duration gcGrace, int retainCommits) {
    public static final int DEFAULT_PORT = 7400;

    /** Where the embedded S3 server listens, and the host name presigned URLs carry to reach it. */
    public record EmbeddedS3Address(String host, int port, String publicHost) {
        public EmbeddedS3Address {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(publicHost, "publicHost");
        }
    }

    public ServiceConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(s3, "s3");
        Objects.requireNonNull(embeddedS3, "embeddedS3");
        Objects.requireNonNull(chunkLayout, "chunkLayout");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("Invalid port " + port);
        }
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("The body limit must be at least 1 KiB, got " + maxBodyBytes);
        }
        if (retainCommits < 0) {
            throw new IllegalArgumentException("retainCommits must be 0 (keep all) or positive, got " + retainCommits);
        }
        Duration expiry = s3.map(S3Settings::presignExpiry).orElse(presignExpiry);
        if (gcGrace.compareTo(expiry) <= 0 && !gcInterval.isZero()) {
            throw new IllegalArgumentException("The GC grace period (" + gcGrace + ") must exceed the presign expiry ("
                    + expiry + ") plus the longest commit");
        }
    }

    /** The defaults: embedded S3 on 127.0.0.1, API on 127.0.0.1:7400, 64 MiB bodies, GC hourly with 1 h grace. */
    public static ServiceConfig defaults(Path dataDir) {
        return new ServiceConfig(dataDir, "127.0.0.1", DEFAULT_PORT, Optional.empty(),
                new EmbeddedS3Address("127.0.0.1", 0, "127.0.0.1"), Duration.ofMinutes(10), 64L << 20,
                ChunkLayout.STANDARD, Duration.ofHours(1), Duration.ofHours(1), 0);
    }

    public ServiceConfig withPort(int port) {
        return new ServiceConfig(dataDir, host, port, s3, embeddedS3, presignExpiry, maxBodyBytes, chunkLayout, gcInterval, gcGrace, retainCommits);
    }

    public ServiceConfig withHost(String host) {
        return new ServiceConfig(dataDir, host, port, s3, embeddedS3, presignExpiry, maxBodyBytes, chunkLayout, gcInterval, gcGrace, retainCommits);
    }

    public ServiceConfig withS3(S3Settings s3) {
        return new ServiceConfig(dataDir, host, port, Optional.of(s3), embeddedS3, presignExpiry, maxBodyBytes, chunkLayout,
                gcInterval, gcGrace, retainCommits);
    }

    public ServiceConfig withEmbeddedS3(EmbeddedS3Address address) {
        return new ServiceConfig(dataDir, host, port, s3, address, presignExpiry, maxBodyBytes, chunkLayout, gcInterval, gcGrace, retainCommits);
    }

    public ServiceConfig withPresignExpiry(Duration expiry) {
        return new ServiceConfig(dataDir, host, port, s3, embeddedS3, expiry, maxBodyBytes, chunkLayout, gcInterval, gcGrace, retainCommits);
    }

    public ServiceConfig withMaxBodyBytes(long max) {
        return new ServiceConfig(dataDir, host, port, s3, embeddedS3, presignExpiry, max, chunkLayout, gcInterval, gcGrace, retainCommits);
    }

    public ServiceConfig withChunkLayout(ChunkLayout layout) {
        return new ServiceConfig(dataDir, host, port, s3, embeddedS3, presignExpiry, maxBodyBytes, layout, gcInterval, gcGrace, retainCommits);
    }

    public ServiceConfig withGc(Duration interval, Duration grace) {
        return new ServiceConfig(dataDir, host, port, s3, embeddedS3, presignExpiry, maxBodyBytes, chunkLayout, interval, grace, retainCommits);
    }

    public ServiceConfig withRetainCommits(int retain) {
        return new ServiceConfig(dataDir, host, port, s3, embeddedS3, presignExpiry, maxBodyBytes, chunkLayout, gcInterval, gcGrace, retain);
    }

    /**
     * Applies a properties file over these settings. Keys (all optional): {@code host}, {@code port},
     * {@code maxBodyBytes}, {@code presignExpirySeconds}, {@code gc.intervalSeconds}, {@code gc.graceSeconds}, {@code history.retainCommits},
     * {@code embeddedS3.host}, {@code embeddedS3.port}, {@code embeddedS3.publicHost}, and for an external S3
     * {@code s3.bucket} (its presence selects external S3), {@code s3.endpoint}, {@code s3.region}
     * (default us-east-1), {@code s3.pathStyle} (default false), {@code s3.accessKeyId} and
     * {@code s3.secretAccessKey} (default: the standard AWS credential chain), {@code s3.checksums} (default true).
     */
    public ServiceConfig withFile(Path file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the service configuration " + file, e);
        }
        ServiceConfig c = this;
        c = c.withHost(p.getProperty("host", host));
        c = c.withPort(Integer.parseInt(p.getProperty("port", Integer.toString(port))));
        c = c.withMaxBodyBytes(Long.parseLong(p.getProperty("maxBodyBytes", Long.toString(maxBodyBytes))));
        Duration expiry = Duration.ofSeconds(Long.parseLong(p.getProperty("presignExpirySeconds",
                Long.toString(presignExpiry.toSeconds()))));
        c = c.withPresignExpiry(expiry);
        c = c.withGc(Duration.ofSeconds(Long.parseLong(p.getProperty("gc.intervalSeconds", Long.toString(gcInterval.toSeconds())))),
                Duration.ofSeconds(Long.parseLong(p.getProperty("gc.graceSeconds", Long.toString(gcGrace.toSeconds())))));
        c = c.withRetainCommits(Integer.parseInt(p.getProperty("history.retainCommits", Integer.toString(retainCommits))));
        c = c.withEmbeddedS3(new EmbeddedS3Address(p.getProperty("embeddedS3.host", embeddedS3.host()),
                Integer.parseInt(p.getProperty("embeddedS3.port", Integer.toString(embeddedS3.port()))),
                p.getProperty("embeddedS3.publicHost", embeddedS3.publicHost())));
        String bucket = p.getProperty("s3.bucket");
        if (bucket != null) {
            Optional<S3Settings.StaticKey> key = Optional.ofNullable(p.getProperty("s3.accessKeyId"))
                    .map(id -> new S3Settings.StaticKey(id, Objects.requireNonNull(p.getProperty("s3.secretAccessKey"),
                            "s3.secretAccessKey is required with s3.accessKeyId")));
            c = c.withS3(new S3Settings(Optional.ofNullable(p.getProperty("s3.endpoint")).map(URI::create),
                    p.getProperty("s3.region", "us-east-1"), bucket, Boolean.parseBoolean(p.getProperty("s3.pathStyle", "false")),
                    key, expiry, Boolean.parseBoolean(p.getProperty("s3.checksums", "true"))));
        }
        return c;
    }
}
