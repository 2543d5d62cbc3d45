package dev.sail.volumes.service;

import dev.sail.volumes.service.api.ApiServer;
import dev.sail.volumes.service.gc.ChunkCollector;
import dev.sail.volumes.service.storage.ChunkStorage;
import dev.sail.volumes.service.storage.EmbeddedS3;
import dev.sail.volumes.service.storage.S3ChunkStorage;
import dev.sail.volumes.service.storage.S3Settings;
import dev.sail.volumes.service.store.Caller;
import dev.sail.volumes.service.store.ManifestStore;
import dev.sail.volumes.service.store.Org;
import dev.sail.volumes.service.store.RocksDbManifestStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running service: the manifest store, chunk storage (external S3, or the embedded server), the
 * garbage collector and the HTTP API, wired together.
 *
 * <p>On first start with an empty data directory it creates the org {@code default} and an admin key,
 * and writes them to {@code <data>/api-key} and {@code <data>/admin-key} (mode 0600). It writes the
 * API's URL to {@code <data>/service-url} so that {@code admin} commands find it.
 *
 * <p>{@link #close()} shuts down gracefully: new commits are refused, commits in flight finish (up to
 * 30 s), then the API stops, then GC, storage and the store close, in that order. Safe to call twice.
 */
public final class VolumeServer implements AutoCloseable {
    public static final String API_KEY_FILE = "api-key";
    public static final String ADMIN_KEY_FILE = "admin-key";
    public static final String URL_FILE = "service-url";
    public static final String DEFAULT_ORG = "default";
    private static final String EMBEDDED_BUCKET = "sail-volumes";
    private static final Logger LOG = LoggerFactory.getLogger(VolumeServer.class);

    private final ServiceConfig config;
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final VolumeOperations operations;
    private final ChunkCollector collector;
    private final ApiServer api;
    private final URI baseUrl;
    private final ManifestStore store;
    private boolean closed;

    private VolumeServer(ServiceConfig config) {
        this.config = config;
        boolean success = false;
        try {
            Clock clock = Clock.systemUTC();
            Files.createDirectories(config.dataDir());
            store = keep(RocksDbManifestStore.open(config.dataDir().resolve("manifests")));
            S3Settings s3 = config.s3().orElseGet(this::startEmbeddedS3);
            S3ChunkStorage storage = keep(new S3ChunkStorage(s3));
            if (config.s3().isEmpty()) {
                storage.createBucketIfMissing();
            } else {
                storage.checkBucket();
            }
            ServiceMetrics metrics = new ServiceMetrics();
            ReadWriteLock chunkLock = new ReentrantReadWriteLock();
            ApiKeys keys = new ApiKeys(store, clock);
            bootstrap(keys);
            operations = new VolumeOperations(store, storage, metrics, config.chunkLayout(), clock, chunkLock);
            collector = keep(new ChunkCollector(store, storage, chunkLock, config.gcGrace(), clock, metrics));
            if (!config.gcInterval().isZero()) {
                VolumeOperations ops = operations;
                collector.start(config.gcInterval(), () -> ops.pruneHistory(config.retainCommits()));
            }
            api = keep(ApiServer.start(operations, keys, metrics, config.maxBodyBytes(), config.host(), config.port()));
            String host = config.host().equals("0.0.0.0") ? "127.0.0.1" : config.host();
            baseUrl = URI.create("http://" + host + ":" + api.port());
            writeSecret(config.dataDir().resolve(URL_FILE), baseUrl.toString());
            LOG.info("Volume service listening on {} (data in {}, storage {})", baseUrl, config.dataDir(),
                    config.s3().isPresent() ? "S3 bucket '" + s3.bucket() + "'" : "embedded S3 at " + s3.endpoint().orElseThrow());
            success = true;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the volume service in " + config.dataDir(), e);
        } finally {
            if (!success) {
                closeResources();
            }
        }
    }

    /** Starts the service; it runs until {@link #close()}. */
    public static VolumeServer start(ServiceConfig config) {
        return new VolumeServer(config);
    }

    /** {@code http://host:port}, where the API answers. */
    public URI baseUrl() {
        return baseUrl;
    }

    public int port() {
        return api.port();
    }

    public ServiceConfig config() {
        return config;
    }

    /** The garbage collector, to run a pass on demand ({@link ChunkCollector#collect()}). */
    public ChunkCollector collector() {
        return collector;
    }

    /** Prunes history to the configured retention now (GC does it before each scheduled pass). */
    public long pruneHistory() {
        return operations.pruneHistory(config.retainCommits());
    }

    /** The org key written on first start (from {@code <data>/api-key}). */
    public String defaultOrgKey() {
        return readSecret(config.dataDir().resolve(API_KEY_FILE));
    }

    /** The admin key written on first start (from {@code <data>/admin-key}). */
    public String adminKey() {
        return readSecret(config.dataDir().resolve(ADMIN_KEY_FILE));
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!operations.drain(Duration.ofSeconds(30))) {
            LOG.warn("Stopping with commits still in flight after 30 s: they fail without a partial commit");
        }
        closeResources();
        LOG.info("Volume service stopped");
    }

    private void bootstrap(ApiKeys keys) throws IOException {
        if (!store.isEmpty()) {
            return;
        }
        Org org = store.createOrg(DEFAULT_ORG, Clock.systemUTC().instant());
        String orgKey = keys.issue(new Caller.Member(org));
        String adminKey = keys.issue(new Caller.Admin());
        Path orgKeyFile = config.dataDir().resolve(API_KEY_FILE);
        Path adminKeyFile = config.dataDir().resolve(ADMIN_KEY_FILE);
        writeSecret(orgKeyFile, orgKey);
        writeSecret(adminKeyFile, adminKey);
        LOG.info("First start: created org '{}'. Its API key is in {}, the admin key in {}", DEFAULT_ORG, orgKeyFile, adminKeyFile);
    }

    private S3Settings startEmbeddedS3() {
        Path credentials = config.dataDir().resolve("embedded-s3.properties");
        Properties p = new Properties();
        try {
            if (Files.exists(credentials)) {
                try (InputStream in = Files.newInputStream(credentials)) {
                    p.load(in);
                }
            } else {
                SecureRandom random = new SecureRandom();
                byte[] id = new byte[10];
                byte[] secret = new byte[30];
                random.nextBytes(id);
                random.nextBytes(secret);
                p.setProperty("accessKeyId", "sail" + HexFormat.of().formatHex(id));
                p.setProperty("secretAccessKey", HexFormat.of().formatHex(secret));
                writeSecret(credentials, "accessKeyId=" + p.getProperty("accessKeyId") + "\nsecretAccessKey="
                        + p.getProperty("secretAccessKey") + "\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or write " + credentials, e);
        }
        S3Settings.StaticKey key = new S3Settings.StaticKey(p.getProperty("accessKeyId"), p.getProperty("secretAccessKey"));
        ServiceConfig.EmbeddedS3Address address = config.embeddedS3();
        EmbeddedS3 s3 = keep(EmbeddedS3.start(config.dataDir().resolve("s3"), address.host(), address.port(), address.publicHost(), key));
        return new S3Settings(Optional.of(s3.endpoint()), "us-east-1", EMBEDDED_BUCKET, true, Optional.of(key),
                config.presignExpiry(), true);
    }

    private <T extends AutoCloseable> T keep(T resource) {
        resources.push(resource);
        return resource;
    }

    /** Closes in reverse order of opening: API, GC, storage, embedded S3, store. */
    private void closeResources() {
        while (!resources.isEmpty()) {
            AutoCloseable resource = resources.pop();
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("Cannot close {}: {}", resource.getClass().getSimpleName(), e.getMessage(), e);
            }
        }
    }

    /** Writes {@code text} to {@code file} with mode 0600, atomically (a temp file renamed over it). */
    static void writeSecret(Path file, String text) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(temp, text.endsWith("\n") ? text : text + "\n", StandardCharsets.UTF_8);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static String readSecret(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        }
    }
}
