package dev.sail.volumes.fuse.core;

import dev.sail.volumes.manifest.VolumePath;
import java.util.Collection;

/**
 * The kernel's cache of a mount's names and attributes. The kernel keeps it coherent with every
 * change made through the mount; this is told about the changes that come from elsewhere (a
 * reload, other mounts' commits, a stash restore), so that the kernel may cache for long.
 * Implementations are thread-safe and never called with the namespace lock held (the kernel may
 * call back into the file system while it invalidates).
 */
@FunctionalInterface
public interface KernelCache {
    /** Drops what the kernel caches about each of {@code paths}; paths it does not cache are skipped. */
    void invalidate(Collection<VolumePath> paths);

    /** For bindings that cannot invalidate: they mount with cache timeouts of zero instead. */
    KernelCache NONE = paths -> { };
}
