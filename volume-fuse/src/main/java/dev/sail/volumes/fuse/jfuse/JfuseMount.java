package dev.sail.volumes.fuse.jfuse;

import dev.sail.volumes.fuse.FuseEnvironment;
import dev.sail.volumes.fuse.FuseMount;
import dev.sail.volumes.fuse.VolumeFuseException;
import dev.sail.volumes.fuse.core.FuseCalls;
import dev.sail.volumes.fuse.core.VolumeFileSystem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.cryptomator.jfuse.api.Fuse;
import org.cryptomator.jfuse.api.FuseBuilder;
import org.cryptomator.jfuse.api.FuseMountFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mount through jfuse (libfuse3). The kernel caches names (positive dentries) and attributes for
 * {@value #CACHE_SECONDS} s, and pages of a file while its size and modification time stay the
 * same ({@code auto_cache}). Changes made through the mount keep those caches coherent by
 * themselves (the kernel updates its dentries on create, unlink, rename and the like); changes that
 * come from elsewhere, a reload or other mounts' commits pulled in by a commit, are pushed out of
 * them by {@link JfuseKernelCache} before the reload or commit returns, so every new operation sees
 * the new state. Names that do not exist are never cached ({@code negative_timeout=0}): each miss
 * is asked again.
 *
 * <p>Where libfuse3 lacks the invalidation functions, or the session cannot be captured in
 * {@code init}, the mount caches nothing (all timeouts 0) rather than show a stale state.
 * A session can be {@linkplain #prepare prepared} before the file system exists, so that a daemon
 * links jfuse's callbacks while it waits for the service. Thread-safe; closing unmounts, once.
 */
public final class JfuseMount implements FuseMount {
    private static final Logger LOG = LoggerFactory.getLogger(JfuseMount.class);
    /**
     * How long the kernel may trust names and attributes. Invalidation keeps them right; the
     * timeout bounds what a missed invalidation could cost.
     */
    static final int CACHE_SECONDS = 60;

    private final Fuse fuse;
    private final Path mountpoint;
    private final Optional<JfuseKernelCache> kernelCache;
    private boolean closed;

    private JfuseMount(Fuse fuse, Path mountpoint, Optional<JfuseKernelCache> kernelCache) {
        this.fuse = fuse;
        this.mountpoint = mountpoint;
        this.kernelCache = kernelCache;
    }

    /** Mounts {@code fs} at {@code mountpoint}; returns once the kernel serves the mount. */
    public static JfuseMount mount(VolumeFileSystem fs, FuseCalls calls, Path mountpoint, int uid, int gid) {
        return prepare(calls, mountpoint, uid, gid).mount(fs);
    }

    /**
     * Builds a jfuse session for {@code mountpoint} before the file system it will serve exists.
     * Linking its callbacks (an FFM upcall stub per operation) is a few hundred milliseconds of a cold
     * JVM, which a daemon can spend while it waits for the service.
     *
     * @throws VolumeFuseException when libfuse3 is missing or fails to load
     */
    public static Session prepare(FuseCalls calls, Path mountpoint, int uid, int gid) {
        FuseEnvironment.check("jfuse");
        Optional<JfuseKernelCache> kernelCache = FuseEnvironment.libfuse3().flatMap(lib -> JfuseKernelCache.load(lib, mountpoint));
        return new Session(calls, mountpoint, uid, gid, kernelCache);
    }

    /**
     * A jfuse session waiting for its file system: {@link #mount} it once, or {@link #close} it to
     * release it unmounted. Thread-safe; closing after mounting, or twice, does nothing.
     */
    public static final class Session implements AutoCloseable {
        private final FuseCalls calls;
        private final Path mountpoint;
        private final int uid;
        private final int gid;
        private final Optional<JfuseKernelCache> kernelCache;
        private final JfuseAdapter adapter;
        private final Fuse fuse;
        /** Mounted or closed; guarded by this. */
        private boolean used;

        private Session(FuseCalls calls, Path mountpoint, int uid, int gid, Optional<JfuseKernelCache> kernelCache) {
            this.calls = calls;
            this.mountpoint = mountpoint;
            this.uid = uid;
            this.gid = gid;
            this.kernelCache = kernelCache;
            FuseBuilder builder = Fuse.builder();
            FuseEnvironment.libfuse3().ifPresent(lib -> builder.setLibraryPath(lib.toString()));
            this.adapter = new JfuseAdapter(calls, builder.errno(), uid, gid, kernelCache);
            try {
                this.fuse = builder.build(adapter);
            } catch (UnsatisfiedLinkError e) {
                throw new VolumeFuseException("FUSE cannot run here: libfuse3 failed to load (" + e.getMessage() + "): "
                        + FuseEnvironment.INSTALL_HINT, e);
            }
        }

        /**
         * Mounts {@code fs}; returns once the kernel serves the mount. When the kernel cache turns out
         * unusable (the session was not captured), mounts again in a new session that caches nothing.
         */
        public synchronized JfuseMount mount(VolumeFileSystem fs) {
            if (used) {
                throw new IllegalStateException("This jfuse session was mounted or closed already");
            }
            used = true;
            adapter.serve(fs);
            int timeout = kernelCache.isPresent() ? CACHE_SECONDS : 0;
            List<String> options = new ArrayList<>(List.of(
                    "-o", "fsname=sail-volume:" + fs.volume(),
                    "-o", "subtype=sailvol",
                    "-o", "auto_cache",
                    "-o", "attr_timeout=" + timeout + ",entry_timeout=" + timeout + ",negative_timeout=0"));
            try {
                fuse.mount("sail-volume", mountpoint, options.toArray(String[]::new));
            } catch (FuseMountFailedException | RuntimeException e) {
                closeQuietly(fuse);
                throw new VolumeFuseException("Cannot mount volume '" + fs.volume() + "' at " + mountpoint + ": " + e.getMessage(), e);
            }
            JfuseMount mount = new JfuseMount(fuse, mountpoint, kernelCache);
            if (kernelCache.isPresent()) {
                if (!kernelCache.get().isActive()) {
                    LOG.warn("Cannot tell the kernel of reloads at {} (the FUSE session was not captured); mounting again without"
                            + " kernel caching", mountpoint);
                    mount.close();
                    return new Session(calls, mountpoint, uid, gid, Optional.empty()).mount(fs);
                }
                fs.attachKernelCache(kernelCache.get());
            }
            LOG.info("Mounted volume '{}' at {} (jfuse, names and attributes cached for {} s)", fs.volume(), mountpoint, timeout);
            return mount;
        }

        /** Releases the session unless it was mounted (the mount owns it then). */
        @Override
        public synchronized void close() {
            if (!used) {
                used = true;
                closeQuietly(fuse);
            }
        }
    }

    /** The invalidator the kernel's caches rely on, if this mount lets the kernel cache. */
    Optional<JfuseKernelCache> kernelCache() {
        return kernelCache;
    }

    @Override
    public Path mountpoint() {
        return mountpoint;
    }

    @Override
    public String binding() {
        return "jfuse";
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // The session's memory goes with the FUSE loop: no invalidation may reach it after this.
        kernelCache.ifPresent(JfuseKernelCache::detach);
        closeQuietly(fuse);
        if (FuseEnvironment.isMounted(mountpoint)) {
            FuseEnvironment.fusermountUnmount(mountpoint);
        }
        LOG.info("Unmounted {}", mountpoint);
    }

    private static void closeQuietly(Fuse fuse) {
        try {
            fuse.close();
        } catch (TimeoutException | RuntimeException e) {
            LOG.warn("Closing the FUSE session did not finish cleanly: {}", e.toString());
        }
    }
}
