package dev.sail.volumes.fuse.jfuse;

import dev.sail.volumes.fuse.core.KernelCache;
import dev.sail.volumes.manifest.VolumePath;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Invalidates the kernel's cache through libfuse3's {@code fuse_invalidate_path}, which jfuse does
 * not bind: called through the FFM API with the {@code struct fuse*} that {@code fuse_get_context()}
 * answers inside the file system's {@code init}. Thread-safe.
 */
@SuppressWarnings("restricted")
final class JfuseKernelCache implements KernelCache {
    private static final Logger LOG = LoggerFactory.getLogger(JfuseKernelCache.class);

    private final MethodHandle getContext;
    private final MethodHandle invalidatePath;
    private volatile MemorySegment fuse = MemorySegment.NULL;

    private JfuseKernelCache(MethodHandle getContext, MethodHandle invalidatePath) {
        this.getContext = getContext;
        this.invalidatePath = invalidatePath;
    }

    /** The invalidator over {@code libfuse3}, or empty when the library lacks the functions. */
    static Optional<JfuseKernelCache> load(Path libfuse3) {
        try {
            SymbolLookup lib = SymbolLookup.libraryLookup(libfuse3, Arena.global());
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> context = lib.find("fuse_get_context");
            Optional<MemorySegment> invalidate = lib.find("fuse_invalidate_path");
            if (context.isEmpty() || invalidate.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new JfuseKernelCache(
                    linker.downcallHandle(context.get(), FunctionDescriptor.of(ValueLayout.ADDRESS)),
                    linker.downcallHandle(invalidate.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS))));
        } catch (RuntimeException e) {
            LOG.warn("Kernel cache invalidation is unavailable ({}); the mount will not let the kernel cache names", e.toString());
            return Optional.empty();
        }
    }

    /** Captures the session's {@code struct fuse*}; must run on a FUSE thread inside {@code init}. */
    void captureSession() {
        try {
            MemorySegment context = (MemorySegment) getContext.invokeExact();
            if (!context.equals(MemorySegment.NULL)) {
                // struct fuse_context { struct fuse *fuse; ... }: the session is its first field.
                fuse = context.reinterpret(ValueLayout.ADDRESS.byteSize()).get(ValueLayout.ADDRESS, 0);
            }
        } catch (Throwable t) {
            LOG.warn("Cannot capture the FUSE session for cache invalidation: {}", t.toString());
        }
    }

    boolean isActive() {
        return !fuse.equals(MemorySegment.NULL);
    }

    @Override
    public void invalidate(Collection<VolumePath> paths) {
        MemorySegment session = fuse;
        if (session.equals(MemorySegment.NULL) || paths.isEmpty()) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            for (VolumePath path : paths) {
                // -ENOENT means the kernel holds nothing for the path: nothing to drop.
                int result = (int) invalidatePath.invokeExact(session, arena.allocateFrom(path.mountPath()));
                if (result != 0 && result != -2) {
                    LOG.debug("fuse_invalidate_path({}) answered {}", path, result);
                }
            }
        } catch (Throwable t) {
            LOG.warn("Kernel cache invalidation failed: {}", t.toString());
        }
    }
}
