package dev.sail.volumes.fuse.jfuse;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.cryptomator.jfuse.api.DirFiller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a listing's entries to libfuse's {@code fuse_fill_dir_t} without a native allocation per
 * entry. jfuse's own filler allocates a {@code struct stat} and the name in the readdir's confined
 * arena for every entry (two mallocs, all freed when the readdir returns): on a warm {@code find}
 * over 10^5 files, glibc's malloc and free were 44 % of the daemon's CPU (perf). Here each FUSE
 * thread reuses one name buffer and one {@code struct stat}, and the function libfuse passed in is
 * called through the FFM API. Entries carry offsets, so libfuse writes each straight into the reply
 * (a listing filled whole, at offset 0, is kept by libfuse 3.14 as a malloc'd node and a copy of the
 * name per entry).
 *
 * <p>That needs two things of jfuse's insides: the native {@code buf} and {@code callback} its filler
 * holds (a record, {@code DirFillerImpl}, in jfuse 0.7), and the layout of {@code struct stat} it
 * generated for the platform ({@code extr.fuse3.stat} beside the filler). Where either is missing,
 * {@link #entriesOf} fills through jfuse's interface instead, with the same offsets; JfuseDirFillerTest
 * fails when that happens with the jfuse this project builds with.
 *
 * <p>Not thread-safe: one instance serves one readdir call, on its FUSE thread.
 */
@SuppressWarnings("restricted")
final class JfuseDirFiller {
    private static final Logger LOG = LoggerFactory.getLogger(JfuseDirFiller.class);
    /** {@code int fuse_fill_dir_t(void *buf, const char *name, const struct stat *stbuf, off_t off, enum fuse_fill_dir_flags flags)}, called by address. */
    private static final MethodHandle FILL = Linker.nativeLinker().downcallHandle(FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final ClassValue<Optional<Access>> ACCESS = new ClassValue<>() {
        @Override
        protected Optional<Access> computeValue(Class<?> type) {
            return Access.of(type);
        }
    };
    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

    private final MemorySegment function;
    private final MemorySegment buf;
    private final Scratch scratch;
    private final long modeOffset;

    private JfuseDirFiller(MemorySegment function, MemorySegment buf, Scratch scratch, long modeOffset) {
        this.function = function;
        this.buf = buf;
        this.scratch = scratch;
        this.modeOffset = modeOffset;
    }

    /** Where a readdir puts its entries. */
    @FunctionalInterface
    interface Entries {
        /**
         * Adds entry {@code name} whose {@code st_mode} is {@code mode} (libfuse keeps its type bits for the
         * kernel's {@code d_type}); a later readdir at {@code nextOffset} continues after it. Answers whether
         * the reply is full (the entry was not added).
         */
        boolean add(String name, int mode, long nextOffset);
    }

    /** jfuse's {@code filler} filled directly when this jfuse exposes what that needs, through jfuse otherwise. */
    static Entries entriesOf(DirFiller filler) {
        return of(filler).<Entries>map(direct -> direct::add)
                .orElse((name, mode, nextOffset) -> filler.fill(name, stat -> stat.setMode(mode), nextOffset, 0) != 0);
    }

    /** The direct filler behind jfuse's {@code filler}, or empty when this jfuse does not expose what it needs. */
    static Optional<JfuseDirFiller> of(DirFiller filler) {
        return ACCESS.get(filler.getClass()).flatMap(access -> access.open(filler));
    }

    /** {@link Entries#add}, without a native allocation. */
    boolean add(String name, int mode, long nextOffset) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        MemorySegment cName = scratch.name(bytes.length + 1);
        MemorySegment.copy(bytes, 0, cName, ValueLayout.JAVA_BYTE, 0, bytes.length);
        cName.set(ValueLayout.JAVA_BYTE, bytes.length, (byte) 0);
        scratch.stat.set(ValueLayout.JAVA_INT, modeOffset, mode);
        try {
            return (int) FILL.invokeExact(function, buf, cName, scratch.stat, nextOffset, 0) != 0;
        } catch (Throwable t) {
            throw new IllegalStateException("libfuse's fill_dir failed for a directory entry", t);
        }
    }

    /** How to reach into one jfuse filler class: its record's native accessors and its platform's {@code struct stat}. */
    private record Access(Method buf, Method callback, long statSize, long modeOffset) {
        static Optional<Access> of(Class<?> type) {
            try {
                Method buf = nativeAccessor(type, "buf");
                Method callback = nativeAccessor(type, "callback");
                Class<?> stat = Class.forName(type.getPackageName() + ".extr.fuse3.stat", true, type.getClassLoader());
                long size = ((GroupLayout) stat.getMethod("layout").invoke(null)).byteSize();
                long modeOffset = (long) stat.getMethod("st_mode$offset").invoke(null);
                return Optional.of(new Access(buf, callback, size, modeOffset));
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.info("Listings go through jfuse's own filler ({} does not expose what the direct one needs: {})",
                        type.getName(), e.toString());
                return Optional.empty();
            }
        }

        private static Method nativeAccessor(Class<?> type, String name) throws NoSuchMethodException {
            RecordComponent[] components = type.getRecordComponents();
            if (components != null) {
                for (RecordComponent component : components) {
                    if (component.getName().equals(name) && component.getType() == MemorySegment.class) {
                        Method accessor = component.getAccessor();
                        accessor.setAccessible(true);
                        return accessor;
                    }
                }
            }
            throw new NoSuchMethodException(type.getName() + " has no MemorySegment record component '" + name + "'");
        }

        Optional<JfuseDirFiller> open(DirFiller filler) {
            try {
                MemorySegment nativeBuf = (MemorySegment) buf.invoke(filler);
                MemorySegment function = (MemorySegment) callback.invoke(filler);
                Scratch scratch = SCRATCH.get();
                if (scratch == null || scratch.stat.byteSize() != statSize) {
                    scratch = new Scratch(statSize);
                    SCRATCH.set(scratch);
                }
                return Optional.of(new JfuseDirFiller(function, nativeBuf, scratch, modeOffset));
            } catch (ReflectiveOperationException e) {
                return Optional.empty();
            }
        }
    }

    /** A FUSE thread's reused native memory: a zeroed {@code struct stat} (only {@code st_mode} is ever set) and a name buffer. */
    private static final class Scratch {
        private final Arena arena = Arena.ofAuto();
        private final MemorySegment stat;
        private MemorySegment name;

        Scratch(long statSize) {
            this.stat = arena.allocate(statSize, 8);
            this.name = arena.allocate(256);
        }

        MemorySegment name(long bytes) {
            if (name.byteSize() < bytes) {
                name = arena.allocate(bytes);
            }
            return name;
        }
    }
}
