package dev.sail.volumes.fuse.jfuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.cryptomator.jfuse.api.DirFiller;
import org.cryptomator.jfuse.api.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link JfuseDirFiller} against jfuse's real filler class, whose native {@code fill_dir} is an upcall
 * of this test that records what libfuse would receive. If a jfuse upgrade hides what the direct filler
 * needs, {@link #fillsJfusesOwnFillerDirectly} fails here instead of listings silently slowing down.
 */
@SuppressWarnings("restricted")
class JfuseDirFillerTest {
    /** glibc's {@code struct stat} on x86_64: {@code st_dev}, {@code st_ino}, {@code st_nlink} (8 bytes each), then {@code st_mode}. */
    private static final long X86_64_ST_MODE_OFFSET = 24;
    private static final List<String> names = new ArrayList<>();
    private static final List<Integer> modes = new ArrayList<>();
    private static final List<Long> offsets = new ArrayList<>();
    private static final List<Long> bufs = new ArrayList<>();

    private Arena arena;

    @BeforeEach
    void setUp() {
        names.clear();
        modes.clear();
        offsets.clear();
        bufs.clear();
        arena = Arena.ofConfined();
    }

    @AfterEach
    void tearDown() {
        arena.close();
    }

    /** The fake {@code fill_dir}: records the entry; answers "full" for the name {@code full}. */
    static int record(MemorySegment buf, MemorySegment name, MemorySegment stat, long offset, int flags) {
        String entry = name.reinterpret(4096).getString(0);
        names.add(entry);
        modes.add(stat.reinterpret(X86_64_ST_MODE_OFFSET + 4).get(ValueLayout.JAVA_INT, X86_64_ST_MODE_OFFSET));
        offsets.add(offset);
        bufs.add(buf.address());
        return entry.equals("full") ? 1 : 0;
    }

    @Test
    void fillsJfusesOwnFillerDirectly() throws Exception {
        assumeTrue(System.getProperty("os.name").startsWith("Linux") && System.getProperty("os.arch").equals("amd64"),
                "jfuse's linux-amd64 filler, with x86_64's struct stat");
        MemorySegment buf = arena.allocate(8);
        DirFiller jfuses = jfuseFiller(buf);

        assertThat(JfuseDirFiller.of(jfuses)).as("the direct filler with jfuse's own filler class").isPresent();
        JfuseDirFiller.Entries entries = JfuseDirFiller.entriesOf(jfuses);
        String wide = "ü".repeat(150); // 300 bytes of UTF-8: more than the first name buffer holds
        assertThat(entries.add(".", 0, 1)).isFalse();
        assertThat(entries.add("naïve-名前.txt", 0100644, 2)).isFalse();
        assertThat(entries.add(wide, 040755, 3)).isFalse();
        assertThat(entries.add("link", 0120777, 4)).isFalse();
        assertThat(entries.add("full", 0100644, 5)).as("libfuse's answer that the reply is full").isTrue();

        assertThat(names).containsExactly(".", "naïve-名前.txt", wide, "link", "full");
        assertThat(modes).containsExactly(0, 0100644, 040755, 0120777, 0100644);
        assertThat(offsets).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(bufs).containsOnly(buf.address());
    }

    @Test
    void fillsAnyOtherFillerThroughJfusesInterface() {
        List<String> seen = new ArrayList<>();
        List<Integer> seenModes = new ArrayList<>();
        List<Long> seenOffsets = new ArrayList<>();
        DirFiller other = new DirFiller() {
            @Override
            public int fill(String name, Consumer<Stat> statFiller, long offset, int flags) {
                int[] mode = new int[1];
                statFiller.accept(modeRecorder(mode));
                seen.add(name);
                seenModes.add(mode[0]);
                seenOffsets.add(offset);
                return name.equals("full") ? 1 : 0;
            }
        };

        assertThat(JfuseDirFiller.of(other)).isEmpty();
        JfuseDirFiller.Entries entries = JfuseDirFiller.entriesOf(other);
        assertThat(entries.add("a", 0100600, 7)).isFalse();
        assertThat(entries.add("b", 040700, 8)).isFalse();
        assertThat(entries.add("full", 0, 9)).isTrue();

        assertThat(seen).containsExactly("a", "b", "full");
        assertThat(seenModes).containsExactly(0100600, 040700, 0);
        assertThat(seenOffsets).containsExactly(7L, 8L, 9L);
    }

    /** jfuse's own filler over {@code buf}, its {@code fill_dir} being {@link #record}. */
    private DirFiller jfuseFiller(MemorySegment buf) throws Exception {
        MemorySegment fillDir = Linker.nativeLinker().upcallStub(
                MethodHandles.lookup().findStatic(JfuseDirFillerTest.class, "record", MethodType.methodType(int.class,
                        MemorySegment.class, MemorySegment.class, MemorySegment.class, long.class, int.class)),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT),
                arena);
        Class<?> type = Class.forName("org.cryptomator.jfuse.linux.amd64.DirFillerImpl");
        Constructor<?> constructor = type.getDeclaredConstructor(MemorySegment.class, MemorySegment.class, Arena.class);
        constructor.setAccessible(true);
        return (DirFiller) constructor.newInstance(buf, fillDir, arena);
    }

    /** A {@link Stat} that keeps only the mode set on it. */
    private static Stat modeRecorder(int[] mode) {
        return (Stat) Proxy.newProxyInstance(Stat.class.getClassLoader(), new Class<?>[] {Stat.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("setMode")) {
                        mode[0] = (int) args[0];
                    }
                    return method.getReturnType() == int.class ? mode[0] : null;
                });
    }
}
