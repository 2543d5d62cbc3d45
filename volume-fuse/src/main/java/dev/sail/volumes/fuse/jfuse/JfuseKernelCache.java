package dev.sail.volumes.fuse.jfuse;

import dev.sail.volumes.fuse.core.KernelCache;
import dev.sail.volumes.manifest.VolumePath;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the kernel what a reload or another mount's commit changed, so that a jfuse mount may let it
 * cache names and attributes for long. jfuse binds none of this: libfuse3's functions are called
 * through the FFM API with the {@code struct fuse*} that {@code fuse_get_context()} answers inside
 * the file system's {@code init}.
 *
 * <p>For each changed path:
 * <ul>
 *   <li>its inode's attributes and pages are dropped ({@code fuse_invalidate_path}, which finds the
 *       inode in libfuse's node table and does nothing when the kernel holds none);</li>
 *   <li>its name is dropped from its parent ({@code fuse_lowlevel_notify_inval_entry}: the kernel
 *       unhashes the dentry, positive or negative, prunes the unused dentries below it, and marks the
 *       parent's attributes stale), so the next operation on the path, an {@code open(O_CREAT)}
 *       included, looks it up again. That call needs the parent's node id; the high-level API
 *       reports node ids as {@code st_ino} (without {@code use_ino}), so the parent is
 *       {@code lstat}ed through the mount point. Only parents the kernel holds are stat-ed (libfuse
 *       has a node for them): the walk to them uses the kernel's cached names, and the stat costs one
 *       getattr (the parent's attributes were just marked stale). A parent the kernel never looked up
 *       costs nothing: no dentry can hang below it.</li>
 * </ul>
 * Parents are visited deepest first and each once, so the cost is proportional to the number of
 * changed paths. A deleted directory's own name is invalidated in its parent like any other path.
 *
 * <p>{@link VolumePath#ROOT} among the paths means "anything may have changed" (the delta was too
 * large to list): then every top-level name the kernel may hold is invalidated, which prunes every
 * unused dentry of the mount. For that the adapter reports the top-level names it hands to the
 * kernel ({@link #shown}) and takes away ({@link #removed}). A directory still in use there (a
 * process's working directory, an open file below it) keeps its own stale dentry until its timeout.
 *
 * <p>Never call {@link #invalidate} with the namespace lock held or from a FUSE callback: the kernel
 * takes the parent directory's lock, and the stat of a parent is served by the FUSE threads.
 * Thread-safe; {@link #detach} (before the session ends) waits for an invalidation in progress.
 */
@SuppressWarnings("restricted")
final class JfuseKernelCache implements KernelCache {
    private static final Logger LOG = LoggerFactory.getLogger(JfuseKernelCache.class);
    private static final int ENOENT = 2;
    /** The root directory's node id in every FUSE session. */
    private static final long ROOT_NODE_ID = 1;
    /** Deepest first, so that the dentries leading to a deeper parent are still hashed when it is stat-ed. */
    private static final Comparator<VolumePath> DEEPEST_FIRST =
            Comparator.comparingInt(JfuseKernelCache::depth).reversed().thenComparing(Comparator.naturalOrder());

    private final MethodHandle getContext;
    private final MethodHandle getSession;
    private final MethodHandle invalidatePath;
    private final MethodHandle invalidateEntry;
    private final Path mountpoint;
    /** Top-level names the kernel may hold a dentry for: what "invalidate everything" must drop. */
    private final Set<String> topLevelNames = ConcurrentHashMap.newKeySet();
    private MemorySegment fuse = MemorySegment.NULL;
    private MemorySegment session = MemorySegment.NULL;

    private JfuseKernelCache(MethodHandle getContext, MethodHandle getSession, MethodHandle invalidatePath,
                             MethodHandle invalidateEntry, Path mountpoint) {
        this.getContext = getContext;
        this.getSession = getSession;
        this.invalidatePath = invalidatePath;
        this.invalidateEntry = invalidateEntry;
        this.mountpoint = mountpoint;
    }

    /** The invalidator of the mount at {@code mountpoint} over {@code libfuse3}, or empty when the library lacks the functions. */
    static Optional<JfuseKernelCache> load(Path libfuse3, Path mountpoint) {
        try {
            SymbolLookup lib = SymbolLookup.libraryLookup(libfuse3, Arena.global());
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> context = lib.find("fuse_get_context");
            Optional<MemorySegment> session = lib.find("fuse_get_session");
            Optional<MemorySegment> path = lib.find("fuse_invalidate_path");
            Optional<MemorySegment> entry = lib.find("fuse_lowlevel_notify_inval_entry");
            if (context.isEmpty() || session.isEmpty() || path.isEmpty() || entry.isEmpty()) {
                LOG.warn("{} lacks fuse_get_session, fuse_invalidate_path or fuse_lowlevel_notify_inval_entry;"
                        + " the kernel will not cache names or attributes", libfuse3);
                return Optional.empty();
            }
            return Optional.of(new JfuseKernelCache(
                    linker.downcallHandle(context.get(), FunctionDescriptor.of(ValueLayout.ADDRESS)),
                    linker.downcallHandle(session.get(), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS)),
                    linker.downcallHandle(path.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS)),
                    linker.downcallHandle(entry.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG)),
                    mountpoint));
        } catch (RuntimeException e) {
            LOG.warn("Kernel cache invalidation is unavailable ({}); the kernel will not cache names or attributes", e.toString());
            return Optional.empty();
        }
    }

    /** Captures the session's {@code struct fuse*} and {@code struct fuse_session*}; must run on a FUSE thread inside {@code init}. */
    synchronized void captureSession() {
        try {
            MemorySegment context = (MemorySegment) getContext.invokeExact();
            if (!context.equals(MemorySegment.NULL)) {
                // struct fuse_context { struct fuse *fuse; ... }: the session is its first field.
                MemorySegment f = context.reinterpret(ValueLayout.ADDRESS.byteSize()).get(ValueLayout.ADDRESS, 0);
                MemorySegment s = (MemorySegment) getSession.invokeExact(f);
                if (!f.equals(MemorySegment.NULL) && !s.equals(MemorySegment.NULL)) {
                    fuse = f;
                    session = s;
                }
            }
        } catch (Throwable t) {
            LOG.warn("Cannot capture the FUSE session for cache invalidation: {}", t.toString());
        }
    }

    synchronized boolean isActive() {
        return !fuse.equals(MemorySegment.NULL);
    }

    /** Forgets the session before it ends (its memory is freed then); later invalidations do nothing. */
    synchronized void detach() {
        fuse = MemorySegment.NULL;
        session = MemorySegment.NULL;
    }

    /** The kernel may now hold a dentry for {@code mountPath} (a lookup, a create or a rename answered it). */
    void shown(String mountPath) {
        topLevelName(mountPath).ifPresent(topLevelNames::add);
    }

    /** The kernel dropped {@code mountPath}'s dentry itself (it was unlinked, removed or renamed away through the mount). */
    void removed(String mountPath) {
        topLevelName(mountPath).ifPresent(topLevelNames::remove);
    }

    @Override
    public synchronized void invalidate(Collection<VolumePath> paths) {
        if (fuse.equals(MemorySegment.NULL) || paths.isEmpty()) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            Map<VolumePath, Set<String>> namesByParent = new TreeMap<>(DEEPEST_FIRST);
            boolean everything = false;
            for (VolumePath path : paths) {
                if (path.isRoot()) {
                    everything = true;
                    continue;
                }
                invalidateInode(arena, path);
                namesByParent.computeIfAbsent(path.loadParent(), k -> new TreeSet<>()).add(path.name());
            }
            if (everything) {
                invalidateInode(arena, VolumePath.ROOT);
                Set<String> top = namesByParent.computeIfAbsent(VolumePath.ROOT, k -> new TreeSet<>());
                // Removed before the kernel is told: a lookup racing with this adds its name back
                // while the kernel holds the root's lock, which the invalidation waits for.
                for (String name : List.copyOf(topLevelNames)) {
                    topLevelNames.remove(name);
                    top.add(name);
                }
            }
            for (Map.Entry<VolumePath, Set<String>> e : namesByParent.entrySet()) {
                long parent = e.getKey().isRoot() ? ROOT_NODE_ID : cachedNodeId(arena, e.getKey());
                if (parent == 0) {
                    continue;
                }
                for (String name : e.getValue()) {
                    invalidateEntry(arena, parent, e.getKey(), name);
                }
            }
        } catch (Throwable t) {
            LOG.warn("Kernel cache invalidation of {} path(s) failed: {}; the kernel may show their old state for up to {} s",
                    paths.size(), t.toString(), JfuseMount.CACHE_SECONDS);
        }
    }

    /** Drops the attributes and pages the kernel holds for {@code path}'s inode; answers false when it holds none. */
    private boolean invalidateInode(Arena arena, VolumePath path) throws Throwable {
        int result = (int) invalidatePath.invokeExact(fuse, arena.allocateFrom(path.mountPath()));
        if (result != 0 && result != -ENOENT) {
            LOG.debug("fuse_invalidate_path({}) answered {}", path, result);
        }
        return result == 0;
    }

    private void invalidateEntry(Arena arena, long parent, VolumePath parentPath, String name) throws Throwable {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        MemorySegment cName = arena.allocate(utf8.length + 1L);
        MemorySegment.copy(utf8, 0, cName, ValueLayout.JAVA_BYTE, 0, utf8.length);
        // -ENOENT: the kernel holds no dentry of that name (or no longer holds the parent): nothing to drop.
        int result = (int) invalidateEntry.invokeExact(session, parent, cName, (long) utf8.length);
        if (result != 0 && result != -ENOENT) {
            LOG.debug("fuse_lowlevel_notify_inval_entry({}, {}) answered {}", parentPath, name, result);
        }
    }

    /**
     * The node id of directory {@code dir} as the kernel holds it, or 0 when it holds none (then no
     * dentry can be cached below it). Marks the directory's attributes stale on the way, which a
     * change among its children calls for anyway.
     */
    private long cachedNodeId(Arena arena, VolumePath dir) throws Throwable {
        if (!invalidateInode(arena, dir)) {
            return 0;
        }
        try {
            Map<String, Object> attributes = Files.readAttributes(mountpoint.resolve(dir.value()), "unix:ino,mode",
                    LinkOption.NOFOLLOW_LINKS);
            boolean directory = ((Integer) attributes.get("mode") & 0170000) == 0040000;
            return directory ? (Long) attributes.get("ino") : 0;
        } catch (IOException e) {
            // Gone or no longer a directory in the new state: its own name is among the changed paths.
            return 0;
        }
    }

    private static Optional<String> topLevelName(String mountPath) {
        if (mountPath.length() < 2 || mountPath.indexOf('/', 1) >= 0) {
            return Optional.empty();
        }
        return Optional.of(mountPath.substring(1));
    }

    private static int depth(VolumePath path) {
        if (path.isRoot()) {
            return 0;
        }
        int depth = 1;
        for (int i = 0; i < path.value().length(); i++) {
            if (path.value().charAt(i) == '/') {
                depth++;
            }
        }
        return depth;
    }
}
