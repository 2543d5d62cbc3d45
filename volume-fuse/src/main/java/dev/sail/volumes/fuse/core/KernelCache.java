package dev.sail.volumes.fuse.core;

import dev.sail.volumes.manifest.VolumePath;
import java.util.Collection;

/**
 * The kernel's cache of a mount's names and attributes. The kernel keeps it coherent with every
 * change made through the mount; this is told about the changes that come from elsewhere (a
 * reload, other mounts' commits, a stash restore), so that the kernel may cache for long.
 * Implementations are thread-safe and never called with the namespace lock held nor from a FUSE
 * callback (the kernel may call back into the file system while it invalidates).
 */
@FunctionalInterface
public interface KernelCache {
    /**
     * Drops what the kernel caches about each of {@code paths}: the name (so the next operation looks
     * it up again, whatever it became), the attributes and the pages. Paths it does not cache are
     * skipped. {@link VolumePath#ROOT} among them stands for every path (a change too large to list).
     * Returns once the kernel has dropped them.
     */
    void invalidate(Collection<VolumePath> paths);

    /** For bindings that cannot invalidate: they mount with cache timeouts of zero instead. */
    KernelCache NONE = paths -> { };
}
