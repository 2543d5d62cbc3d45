package dev.sail.volumes.fuse.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sail.volumes.client.ChunkTransfer;
import dev.sail.volumes.client.VolumeInfo;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.client.control.ControlClient;
import dev.sail.volumes.client.control.ControlProtocol;
import dev.sail.volumes.client.control.MountControlException;
import dev.sail.volumes.client.control.MountStatus;
import dev.sail.volumes.fuse.FuseEnvironment;
import dev.sail.volumes.fuse.FuseMount;
import dev.sail.volumes.fuse.VolumeFuseException;
import dev.sail.volumes.fuse.core.FuseCalls;
import dev.sail.volumes.fuse.core.LocalStore;
import dev.sail.volumes.fuse.core.Synchronizer;
import dev.sail.volumes.fuse.core.VolumeFileSystem;
import dev.sail.volumes.fuse.jfuse.JfuseMount;
import dev.sail.volumes.fuse.jnr.JnrMount;
import dev.sail.volumes.fuse.state.RocksDbLibrary;
import dev.sail.volumes.fuse.state.RocksDbLocalStore;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mounted volume: the local state, the file system, the FUSE mount and the control socket,
 * wired together. {@link #start} returns once the mount serves and the socket answers.
 *
 * <p>Thread-safe. {@link #close()} stops the control socket (after the requests in flight have
 * answered), unmounts, then closes the file system and the local state, in that order; closing
 * twice is fine, and the second call returns once the first has finished.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    /** The kernel's read-ahead in a mount: reads reach the daemon in requests of up to 1 MiB (FUSE's largest). */
    static final int READ_AHEAD_KIB = 1024;
    /** Progress lines go out at most this often. */
    private static final long PROGRESS_INTERVAL_NANOS = 500_000_000L;

    /**
     * What to mount, where, and how.
     *
     * @param mintIfMissing create the volume when it does not exist
     * @param binding       {@code jfuse} (libfuse3) or {@code jnr} (libfuse2)
     * @param runDir        where the control socket goes ({@link ControlProtocol#defaultRunDir()})
     */
    public record Config(VolumeName volume, boolean mintIfMissing, Path mountpoint, Path stateDir, long cacheBytes,
                         String binding, Path runDir) {
        public Config {
            Objects.requireNonNull(volume, "volume");
            Objects.requireNonNull(stateDir, "stateDir");
            Objects.requireNonNull(runDir, "runDir");
            checkMountpoint(mountpoint);
            if (!"jfuse".equals(binding) && !"jnr".equals(binding)) {
                throw new VolumeFuseException("Unknown FUSE binding '" + binding + "': use jfuse (libfuse3) or jnr (libfuse2)");
            }
            if (cacheBytes <= 0) {
                throw new VolumeFuseException("The cache size must be positive, got " + cacheBytes);
            }
        }
    }

    /** Refuses mount points that are relative or the root. */
    public static void checkMountpoint(Path mountpoint) {
        if (mountpoint == null || !mountpoint.isAbsolute()) {
            throw new VolumeFuseException("The mount point must be an absolute path, got '" + mountpoint + "'");
        }
        if (mountpoint.normalize().getNameCount() == 0) {
            throw new VolumeFuseException("Refusing to mount a volume over '/': choose a directory such as /mnt/volume");
        }
    }

    private final Config config;
    private final LocalStore store;
    private final VolumeFileSystem fs;
    private final Synchronizer sync;
    private final FuseCalls calls;
    private final CountDownLatch unmounted = new CountDownLatch(1);
    /** Released once {@link #close()} has finished, so a second caller (the shutdown hook) waits for the first. */
    private final CountDownLatch closeDone = new CountDownLatch(1);
    private FuseMount mount;
    private ControlServer control;
    private boolean closed;

    private Daemon(Config config, LocalStore store, VolumeFileSystem fs, FuseCalls calls) throws IOException {
        this.config = config;
        this.store = store;
        this.fs = fs;
        this.sync = new Synchronizer(fs);
        this.calls = calls;
    }

    /**
     * What a mount sets up before the service has answered, on background threads: RocksDB's native
     * library and, for jfuse, the FUSE session (its callbacks linked). A cold JVM spends a few hundred
     * milliseconds on each, which {@link #prepare} lets overlap the service round trips that come first.
     * {@link #start} takes it over; {@link #close()} releases a session that was not mounted. Thread-safe.
     */
    public static final class Preparation implements AutoCloseable {
        private final FuseCalls calls;
        /** The jfuse session being built; null for the jnr binding. */
        private final CompletableFuture<JfuseMount.Session> jfuse;

        private Preparation(FuseCalls calls, CompletableFuture<JfuseMount.Session> jfuse) {
            this.calls = calls;
            this.jfuse = jfuse;
        }

        /** The jfuse session, once built. */
        JfuseMount.Session jfuseSession() {
            if (jfuse == null) {
                throw new IllegalStateException("This mount was prepared for the jnr binding");
            }
            try {
                return jfuse.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r
                        : new VolumeFuseException("Cannot set up the FUSE session: " + e.getCause(), e.getCause());
            }
        }

        /** Releases the session when it was not mounted, once it is built; does not wait. */
        @Override
        public void close() {
            if (jfuse != null) {
                jfuse.thenAccept(JfuseMount.Session::close);
            }
        }
    }

    /** Starts the {@link Preparation} of a mount of {@code config}. */
    public static Preparation prepare(Config config) {
        RocksDbLibrary.loadInBackground();
        FuseCalls calls = new FuseCalls(config.volume().value());
        CompletableFuture<JfuseMount.Session> jfuse = null;
        if ("jfuse".equals(config.binding())) {
            Path mountpoint = config.mountpoint().normalize();
            jfuse = CompletableFuture.supplyAsync(() -> JfuseMount.prepare(calls, mountpoint, uid(), gid()),
                    task -> Thread.ofPlatform().daemon().name("fuse-session").start(task));
        }
        return new Preparation(calls, jfuse);
    }

    /**
     * Mounts the volume and starts the control socket. {@code service} and {@code transfer} stay
     * the caller's (closed by the caller after the daemon).
     *
     * @throws VolumeFuseException naming the problem: FUSE missing, volume missing, mount point busy...
     */
    public static Daemon start(Config config, VolumeService service, ChunkTransfer transfer) throws IOException {
        return start(config, service, transfer, prepare(config));
    }

    /**
     * {@link #start(Config, VolumeService, ChunkTransfer)} with what {@link #prepare} has set up meanwhile;
     * takes {@code preparation} over (closes it).
     */
    public static Daemon start(Config config, VolumeService service, ChunkTransfer transfer, Preparation preparation)
            throws IOException {
        try (preparation) {
            return startPrepared(config, service, transfer, preparation);
        }
    }

    private static Daemon startPrepared(Config config, VolumeService service, ChunkTransfer transfer, Preparation preparation)
            throws IOException {
        FuseEnvironment.check(config.binding());
        Path mountpoint = config.mountpoint().normalize();
        if (FuseEnvironment.isMounted(mountpoint)) {
            if (ControlClient.forMount(mountpoint, config.runDir()).isReachable()) {
                throw new VolumeFuseException("A sail-volume daemon already serves " + mountpoint + " (sail-volume unmount " + mountpoint + ")");
            }
            // A daemon that died (kill -9, OOM) leaves its mount behind, answering "transport endpoint is not connected".
            LOG.warn("Clearing the stale mount left at {} by a daemon that died", mountpoint);
            if (!FuseEnvironment.fusermountUnmount(mountpoint) || FuseEnvironment.isMounted(mountpoint)) {
                throw new VolumeFuseException("Something else is mounted at " + mountpoint + " and cannot be unmounted");
            }
        }
        if (!Files.isDirectory(mountpoint)) {
            throw new VolumeFuseException("The mount point " + mountpoint + " is not a directory (create it first: mkdir -p " + mountpoint + ")");
        }
        VolumeInfo info = volumeInfo(config, service);
        Files.createDirectories(config.stateDir());
        // Uncommitted bytes and the cache are the user's data: nobody else reads them.
        Files.setPosixFilePermissions(config.stateDir(), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        LocalStore store = new RocksDbLocalStore(config.stateDir().resolve("db"));
        VolumeFileSystem fs = null;
        Daemon daemon = null;
        boolean success = false;
        try {
            fs = VolumeFileSystem.open(service, transfer, info, store, config.stateDir(),
                    new VolumeFileSystem.Settings(config.cacheBytes(), VolumeFileSystem.Settings.DEFAULT_READ_AHEAD,
                            VolumeFileSystem.Settings.DEFAULT_PREFETCH_THREADS, uid(), gid()));
            daemon = new Daemon(config, store, fs, preparation.calls);
            daemon.mount = switch (config.binding()) {
                case "jnr" -> JnrMount.mount(fs, daemon.calls, mountpoint, uid(), gid());
                default -> preparation.jfuseSession().mount(fs);
            };
            if (!FuseEnvironment.setReadAhead(mountpoint, READ_AHEAD_KIB)) {
                LOG.debug("Cannot raise the kernel's read-ahead for {}: large reads reach the daemon in 128 KiB requests", mountpoint);
            }
            daemon.control = ControlServer.start(ControlProtocol.socketFor(config.runDir(), mountpoint), mountpoint, daemon::handle);
            LOG.info("Serving volume '{}' at {} from base seq {} (state {}, control socket {}), {} ms after the JVM started",
                    config.volume(), mountpoint, fs.base().seq(), config.stateDir(), daemon.control.socket(), sinceJvmStart());
            Warmup.start();
            success = true;
            return daemon;
        } finally {
            if (!success) {
                if (daemon != null) {
                    daemon.close();
                } else {
                    if (fs != null) {
                        fs.close();
                    }
                    store.close();
                }
            }
        }
    }

    /**
     * The volume to mount, created first when the config says so.
     *
     * @throws VolumeFuseException with a clear message when the service is unreachable, rejects the key, or lacks the volume
     */
    public static VolumeInfo volumeInfo(Config config, VolumeService service) {
        try {
            if (config.mintIfMissing()) {
                return service.createVolumeIfMissing(config.volume());
            }
            return service.findVolume(config.volume()).orElseThrow(() -> new VolumeFuseException(
                    "Volume '" + config.volume() + "' does not exist (add --create to create it)"));
        } catch (VolumeServiceException e) {
            if (e.status() == 401 || "unauthorized".equals(e.code())) {
                throw new VolumeFuseException("The volume service rejected the API key (check SAIL_API_KEY): " + e.getMessage(), e);
            }
            if (e.status() == 0) {
                throw new VolumeFuseException("Cannot reach the volume service (check SAIL_VOLUME_URL): " + e.getMessage(), e);
            }
            throw new VolumeFuseException("The volume service refused to open volume '" + config.volume() + "': " + e.getMessage(), e);
        }
    }

    private Object handle(String op, JsonNode request, ControlServer.ProgressSink progress) throws Exception {
        return switch (op) {
            case ControlProtocol.OP_COMMIT -> {
                long[] last = {0};
                yield sync.commit((bytesDone, bytesTotal, chunksDone, chunksTotal) -> {
                    long now = System.nanoTime();
                    if (now - last[0] >= PROGRESS_INTERVAL_NANOS || chunksDone == chunksTotal) {
                        last[0] = now;
                        progress.send(ControlProtocol.progress(bytesDone, bytesTotal, chunksDone, chunksTotal));
                    }
                });
            }
            case ControlProtocol.OP_RELOAD -> sync.reload();
            case ControlProtocol.OP_STATUS -> status();
            case ControlProtocol.OP_STASH_LIST -> Map.of("stashes", sync.stashes());
            case ControlProtocol.OP_STASH_RESTORE -> {
                String id = request.path("stash").asText("");
                if (id.isEmpty()) {
                    throw new MountControlException("invalid_request", "stash-restore needs a \"stash\" id");
                }
                yield Map.of("restored", sync.restore(id));
            }
            case ControlProtocol.OP_UNMOUNT -> {
                unmount();
                yield Map.of("unmounted", config.mountpoint().toString());
            }
            default -> throw new MountControlException("invalid_request", "Unknown operation '" + op + "'");
        };
    }

    public MountStatus status() throws IOException {
        VolumeFileSystem.Base base = fs.base();
        List<String> dirty = fs.dirtyPaths().stream().map(VolumePath::toString).toList();
        return new MountStatus(config.volume().value(), config.mountpoint().toString(), mount.binding(), base.seq(),
                base.commit(), dirty, fs.cache().usedBytes(), fs.cache().maxBytes(), sync.dirtyBytes());
    }

    public Synchronizer synchronizer() {
        return sync;
    }

    public VolumeFileSystem fileSystem() {
        return fs;
    }

    public FuseCalls calls() {
        return calls;
    }

    public Path socket() {
        return control.socket();
    }

    /** Unmounts (the state stays, with every uncommitted change) and releases {@link #awaitUnmounted()}. */
    public synchronized void unmount() {
        if (mount != null) {
            mount.close();
        }
        unmounted.countDown();
    }

    /** Blocks until the mount is unmounted through the control socket or {@link #close()}. */
    public void awaitUnmounted() throws InterruptedException {
        unmounted.await();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                awaitQuietly(closeDone);
                return;
            }
            closed = true;
        }
        try {
            // Outside the lock: the requests in flight answer first, an unmount among them (which takes the lock).
            if (control != null) {
                control.close();
            }
            synchronized (this) {
                if (mount != null) {
                    mount.close();
                }
                fs.close();
                store.close();
            }
            unmounted.countDown();
            logOperationStats();
        } finally {
            closeDone.countDown();
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One line per FUSE operation used: calls, failures, mean latency. */
    private void logOperationStats() {
        calls.stats().forEach((op, s) -> LOG.info("{}: {} call(s), {} failed, mean {} us", op, s.calls(), s.failures(),
                s.calls() == 0 ? 0 : s.totalNanos() / s.calls() / 1000));
    }

    /** Milliseconds since this process started (the kernel's start time), or -1 when unknown. */
    private static long sinceJvmStart() {
        return ProcessHandle.current().info().startInstant()
                .map(start -> java.time.Duration.between(start, java.time.Instant.now()).toMillis()).orElse(-1L);
    }

    private static int uid() {
        return idOf("unix:uid");
    }

    private static int gid() {
        return idOf("unix:gid");
    }

    private static int idOf(String attribute) {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), attribute);
        } catch (IOException | UnsupportedOperationException e) {
            return 0;
        }
    }
}
