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
 * A mount through jfuse (libfuse3). Pages of a file are cached by the kernel while its size and
 * modification time stay the same ({@code auto_cache}); attributes are cached for
 * {@value #CACHE_SECONDS} s and invalidated through {@link JfuseKernelCache} whenever a reload or
 * another mount's commit changes them (without that function, timeouts of 0). Names are never
 * cached ({@code entry_timeout=0}): {@code fuse_invalidate_path} drops an inode's attributes and
 * pages but not the dentry, so a name deleted by a reload would otherwise linger.
 * Thread-safe; closing unmounts, once.
 */
public final class JfuseMount implements FuseMount {
    private static final Logger LOG = LoggerFactory.getLogger(JfuseMount.class);
    /**
     * How long the kernel may trust attributes. Changes through the mount keep it coherent by
     * themselves, and changes from elsewhere (reload, others' commits) are invalidated explicitly.
     */
    static final int CACHE_SECONDS = 60;

    private final Fuse fuse;
    private final Path mountpoint;
    private boolean closed;

    private JfuseMount(Fuse fuse, Path mountpoint) {
        this.fuse = fuse;
        this.mountpoint = mountpoint;
    }

    /** Mounts {@code fs} at {@code mountpoint}; returns once the kernel serves the mount. */
    public static JfuseMount mount(VolumeFileSystem fs, FuseCalls calls, Path mountpoint, int uid, int gid) {
        return prepare(calls, uid, gid).mount(fs, mountpoint);
    }

    /**
     * Builds a jfuse session before the file system it will serve exists. Linking its callbacks (an FFM
     * upcall stub per operation) is a few hundred milliseconds of a cold JVM, which a daemon can spend
     * while it waits for the service.
     *
     * @throws VolumeFuseException when libfuse3 is missing or fails to load
     */
    public static Session prepare(FuseCalls calls, int uid, int gid) {
        FuseEnvironment.check("jfuse");
        FuseBuilder builder = Fuse.builder();
        FuseEnvironment.libfuse3().ifPresent(lib -> builder.setLibraryPath(lib.toString()));
        Optional<JfuseKernelCache> kernelCache = FuseEnvironment.libfuse3().flatMap(JfuseKernelCache::load);
        JfuseAdapter adapter = new JfuseAdapter(calls, builder.errno(), uid, gid, kernelCache);
        try {
            Session session = new Session(builder.build(adapter), adapter, kernelCache);
            return session;
        } catch (UnsatisfiedLinkError e) {
            throw new VolumeFuseException("FUSE cannot run here: libfuse3 failed to load (" + e.getMessage() + "): "
                    + FuseEnvironment.INSTALL_HINT, e);
        }
    }

    /**
     * A jfuse session waiting for its file system: {@link #mount} it once, or {@link #close} it to
     * release it unmounted. Thread-safe; closing after mounting, or twice, does nothing.
     */
    public static final class Session implements AutoCloseable {
        private final Fuse fuse;
        private final JfuseAdapter adapter;
        private final Optional<JfuseKernelCache> kernelCache;
        /** Mounted or closed; guarded by this. */
        private boolean used;

        private Session(Fuse fuse, JfuseAdapter adapter, Optional<JfuseKernelCache> kernelCache) {
            this.fuse = fuse;
            this.adapter = adapter;
            this.kernelCache = kernelCache;
        }

        /** Mounts {@code fs} at {@code mountpoint}; returns once the kernel serves the mount. */
        public synchronized JfuseMount mount(VolumeFileSystem fs, Path mountpoint) {
            if (used) {
                throw new IllegalStateException("This jfuse session was mounted or closed already");
            }
            used = true;
            adapter.serve(fs);
            List<String> options = new ArrayList<>(List.of(
                    "-o", "fsname=sail-volume:" + fs.volume(),
                    "-o", "subtype=sailvol",
                    "-o", "auto_cache",
                    "-o", kernelCache.isPresent()
                            ? "attr_timeout=" + CACHE_SECONDS + ",entry_timeout=0,negative_timeout=0"
                            : "attr_timeout=0,entry_timeout=0,negative_timeout=0"));
            try {
                fuse.mount("sail-volume", mountpoint, options.toArray(String[]::new));
            } catch (FuseMountFailedException | RuntimeException e) {
                closeQuietly(fuse);
                throw new VolumeFuseException("Cannot mount volume '" + fs.volume() + "' at " + mountpoint + ": " + e.getMessage(), e);
            }
            if (kernelCache.isPresent() && kernelCache.get().isActive()) {
                fs.attachKernelCache(kernelCache.get());
            } else if (kernelCache.isPresent()) {
                LOG.warn("The kernel caches attributes for {} s but cannot be told of reloads: a reload may show late", CACHE_SECONDS);
            }
            LOG.info("Mounted volume '{}' at {} (jfuse)", fs.volume(), mountpoint);
            return new JfuseMount(fuse, mountpoint);
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
