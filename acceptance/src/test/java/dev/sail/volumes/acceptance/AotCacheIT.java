package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sail.volumes.testkit.ServiceFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest's JVM ahead-of-time cache ({@code bin/aot.sh}, {@code bin/aot-cache}) in a distribution tree
 * of its own: a mount without a cache works and trains one in the background, which the next start uses;
 * a cache made for other jars, a damaged one, or one in a directory others can write is never used, and
 * none of them stops a mount. Which cache the JVM opened it says itself ({@code -Xlog:aot}); without one
 * from the launcher it opens only the JDK's own archive of its classes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AotCacheIT {
    private static final Duration TRAINING = Duration.ofMinutes(8);
    /** The JVM names the cache it opens; with AOTMode=on it refuses to start when it cannot use it. */
    private static final Map<String, String> SHOW_CACHE = Map.of("SAIL_VOLUME_JAVA_OPTS", "-XX:AOTMode=on -Xlog:aot=info:stderr");

    @TempDir
    static Path classTemp;

    static ServiceFixture service;
    static Path home;

    @BeforeAll
    static void layOutATreeWithoutACache() {
        service = ServiceFixture.builder().start();
        home = classTemp.resolve("sail-volume");
        Launcher.Result tree = Launcher.run(classTemp.resolve("out"), Map.of(), Duration.ofMinutes(2),
                List.of(Launcher.REPO.resolve("bin/package").toString(), "--no-build", "--no-aot", "--tree", home.toString()));
        assertThat(tree.exit()).as(tree.transcript()).isZero();
    }

    @AfterAll
    static void stopService() {
        if (service != null) {
            service.close();
        }
    }

    @Test
    @Order(1)
    void aMountWithoutACacheWorksTrainsOneInTheBackgroundAndTheNextStartUsesIt() throws Exception {
        assertThat(caches()).as("a tree packaged --no-aot").isEmpty();
        assertThat(openedCache()).as("no cache yet").isFalse();

        mountWriteReadUnmount(Map.of(), "first");

        await("the background training").atMost(TRAINING).pollInterval(Duration.ofSeconds(2))
                .until(() -> trainings().isEmpty() && (!caches().isEmpty() || failedTraining()));
        assertThat(caches()).as("the training's log: %s", trainingLog()).hasSize(1);
        assertThat(caches().getFirst().getFileName().toString()).matches("guest-[0-9a-f]{24}\\.aot");
        assertThat(openedCache()).isTrue();
        Path state = mountWriteReadUnmount(SHOW_CACHE, "second");
        assertThat(Files.readString(state.resolve("daemon.log"))).as("the daemon started with it too")
                .contains("Opened AOT cache " + caches().getFirst());
    }

    @Test
    @Order(2)
    void aDamagedCacheIsOnlyAWarningOnStderr() throws Exception {
        Path cache = theCache();
        byte[] good = Files.readAllBytes(cache);
        try {
            Files.write(cache, "not an AOT cache".getBytes());

            Launcher.Result help = run(Map.of(), "status", "--help");
            assertThat(help.exit()).as(help.transcript()).isZero();
            assertThat(help.out()).as("stdout is the command's alone").startsWith("Usage:");
            assertThat(help.err()).as("the JVM says why it ignores the cache").contains("[aot]");
            mountWriteReadUnmount(Map.of(), "damaged");
        } finally {
            Files.write(cache, good);
        }
        assertThat(openedCache()).as("restored").isTrue();
    }

    @Test
    @Order(3)
    void aCacheInADirectoryOthersCanWriteIsNotUsed() throws Exception {
        Path dir = theCache().getParent();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        try {
            assertThat(openedCache()).isFalse();
            assertThat(run(Map.of(), "status", "--help").exit()).isZero();
        } finally {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        assertThat(openedCache()).isTrue();
    }

    @Test
    @Order(4)
    void aCacheTrainedOnOtherJarsIsNeverUsed() throws Exception {
        // JDK 25.0.3 would load the cached classes of a changed jar (JDK-8377932): the launcher's key must catch it.
        Path jar;
        try (Stream<Path> jars = Files.list(home.resolve("lib/volume-fuse"))) {
            jar = jars.filter(p -> p.getFileName().toString().startsWith("volume-fuse-")).findFirst().orElseThrow();
        }
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 60_000));

        assertThat(openedCache()).isFalse();
        mountWriteReadUnmount(Map.of("SAIL_VOLUME_AOT", "off"), "rebuilt");
    }

    /** Whether a guest command of the tree starts with one of the tree's caches (and the JVM takes it). */
    private static boolean openedCache() {
        Launcher.Result help = run(SHOW_CACHE, "status", "--help");
        assertThat(help.exit()).as(help.transcript()).isZero();
        return help.err().contains("Opened AOT cache " + home.resolve("lib/aot/guest-"));
    }

    /**
     * Mounts a volume through the tree's launcher, writes and reads a file, commits and unmounts; answers
     * the state dir.
     */
    private static Path mountWriteReadUnmount(Map<String, String> env, String name) throws IOException {
        Path box = Files.createDirectories(classTemp.resolve("box-" + name));
        Path mnt = Files.createDirectories(box.resolve("mnt"));
        Map<String, String> all = new HashMap<>(env);
        all.put("SAIL_VOLUME_RUN_DIR", box.resolve("run").toString());
        Launcher.Result mount = run(all, "mount", "--volume", "aot-" + name, "--create", "--state-dir",
                box.resolve("state").toString(), mnt.toString());
        try {
            assertThat(mount.exit()).as(mount.transcript()).isZero();
            Files.writeString(mnt.resolve("hello.txt"), "hello " + name);
            assertThat(Files.readString(mnt.resolve("hello.txt"))).isEqualTo("hello " + name);
            Launcher.Result status = run(all, "status", "--json", mnt.toString());
            assertThat(status.exit()).as(status.transcript()).isZero();
            assertThat(new ObjectMapper().readTree(status.out()).path("dirtyPaths").toString()).contains("hello.txt");
            Launcher.Result commit = run(all, "commit", mnt.toString());
            assertThat(commit.exit()).as(commit.transcript()).isZero();
        } finally {
            Launcher.Result unmount = run(all, "unmount", mnt.toString());
            assertThat(unmount.exit()).as(unmount.transcript()).isZero();
        }
        assertThat(Mounts.fuseMountPoints()).doesNotContain(mnt.toString());
        return box.resolve("state");
    }

    private static Launcher.Result run(Map<String, String> env, String... args) {
        Map<String, String> all = new HashMap<>(Map.of("SAIL_VOLUME_URL", service.baseUrl().toString(),
                "SAIL_API_KEY", service.apiKey(),
                // Nothing reaches the user's own cache dir, and the training's scratch stays in this class's temp dir.
                "SAIL_VOLUME_CACHE_DIR", classTemp.resolve("user-cache").toString(),
                "TMPDIR", classTemp.toString()));
        all.putAll(env);
        List<String> command = new java.util.ArrayList<>(List.of(home.resolve("bin/sail-volume").toString()));
        command.addAll(List.of(args));
        return Launcher.run(classTemp.resolve("out"), all, Duration.ofMinutes(2), command);
    }

    private static List<Path> caches() throws IOException {
        Path dir = home.resolve("lib/aot");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().matches("guest-.*\\.aot")).toList();
        }
    }

    private static Path theCache() throws IOException {
        assertThat(caches()).as("the cache the first test trained").hasSize(1);
        return caches().getFirst();
    }

    private static boolean failedTraining() throws IOException {
        try (Stream<Path> files = Files.list(home.resolve("lib/aot"))) {
            return files.anyMatch(p -> p.getFileName().toString().endsWith(".failed"));
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
    }

    private static String trainingLog() throws IOException {
        Path log = home.resolve("lib/aot/aot-cache.log");
        return Files.exists(log) ? Files.readString(log) : "(none)";
    }

    /** Training processes of this tree still running. */
    private static List<ProcessHandle> trainings() {
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(home + "/bin/aot-cache")).toList();
    }
}
