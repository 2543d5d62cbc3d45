package dev.sail.volumes.fuse.jnr;

import dev.sail.volumes.fuse.FuseEnvironment;
import dev.sail.volumes.fuse.FuseMount;
import dev.sail.volumes.fuse.VolumeFuseException;
import dev.sail.volumes.fuse.core.FuseCalls;
import dev.sail.volumes.fuse.core.VolumeFileSystem;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mount through jnr-fuse (libfuse2), for guests without libfuse3. Writes are capped at 128 KiB
 * by libfuse2. The kernel caches no names and no attributes here ({@code entry_timeout},
 * {@code attr_timeout} and {@code negative_timeout} are 0), so a reload needs no invalidation and
 * every lookup and stat reaches the daemon: libfuse2 has no {@code fuse_invalidate_path}, and its
 * low-level notify functions (which take the session's channel) are not wired through jnr-fuse
 * here. Listings carry each entry's type, so walks look up only directories. Pages are cached
 * while a file's size and modification time stay the same ({@code auto_cache}).
 * Thread-safe; closing unmounts, once.
 */
public final class JnrMount implements FuseMount {
    private static final Logger LOG = LoggerFactory.getLogger(JnrMount.class);
    private static final long MOUNT_TIMEOUT_MS = 15_000;

    private final JnrAdapter adapter;
    private final Path mountpoint;
    private boolean closed;

    private JnrMount(JnrAdapter adapter, Path mountpoint) {
        this.adapter = adapter;
        this.mountpoint = mountpoint;
    }

    /** Mounts {@code fs} at {@code mountpoint}; returns once the kernel lists the mount. */
    public static JnrMount mount(VolumeFileSystem fs, FuseCalls calls, Path mountpoint, int uid, int gid) {
        FuseEnvironment.check("jnr");
        JnrAdapter adapter = new JnrAdapter(fs, calls, uid, gid);
        String[] options = {
                "-o", "fsname=sail-volume:" + fs.volume(),
                "-o", "subtype=sailvol",
                "-o", "big_writes,max_write=131072",
                "-o", "auto_cache",
                "-o", "attr_timeout=0,entry_timeout=0,negative_timeout=0"};
        try {
            adapter.mount(mountpoint, false, false, options);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new VolumeFuseException("Cannot mount volume '" + fs.volume() + "' at " + mountpoint + " with jnr-fuse: "
                    + e.getMessage() + " (" + FuseEnvironment.INSTALL_HINT_FUSE2 + ")", e);
        }
        long deadline = System.currentTimeMillis() + MOUNT_TIMEOUT_MS;
        while (!FuseEnvironment.isMounted(mountpoint)) {
            if (System.currentTimeMillis() > deadline) {
                adapter.umount();
                throw new VolumeFuseException("Cannot mount volume '" + fs.volume() + "' at " + mountpoint
                        + " with jnr-fuse: the kernel did not list the mount within " + MOUNT_TIMEOUT_MS / 1000 + " s");
            }
            try {
                // Polling: jnr-fuse mounts on its own thread and gives no ready callback; the mount table tells.
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VolumeFuseException("Interrupted while mounting " + mountpoint, e);
            }
        }
        LOG.info("Mounted volume '{}' at {} (jnr-fuse)", fs.volume(), mountpoint);
        return new JnrMount(adapter, mountpoint);
    }

    @Override
    public Path mountpoint() {
        return mountpoint;
    }

    @Override
    public String binding() {
        return "jnr";
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            adapter.umount();
        } catch (RuntimeException e) {
            LOG.warn("jnr-fuse unmount failed: {}", e.toString());
        }
        if (FuseEnvironment.isMounted(mountpoint)) {
            FuseEnvironment.fusermountUnmount(mountpoint);
        }
        LOG.info("Unmounted {}", mountpoint);
    }
}
