package dev.sail.volumes.fuse.jfuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.client.VolumeInfo;
import dev.sail.volumes.fuse.FuseEnvironment;
import dev.sail.volumes.fuse.core.FuseCalls;
import dev.sail.volumes.fuse.core.InMemoryLocalStore;
import dev.sail.volumes.fuse.core.KernelCache;
import dev.sail.volumes.fuse.core.Synchronizer;
import dev.sail.volumes.fuse.core.VolumeFileSystem;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.testkit.ServiceFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel caches a jfuse mount's names and attributes, and a reload or commit that brings
 * changes from another mount pushes exactly those out of it: after it returns, every new operation
 * through the mount sees the new state. Mount {@code b} is the one under test; mount {@code a},
 * another sailbox of the same volume, makes the remote changes and commits them. Each test first
 * makes {@code b}'s kernel cache the names it then changes, and every mount is unmounted even when
 * an assertion fails. Real service, real S3 server, real mounts.
 */
class KernelNameCacheIT {
    static ServiceFixture service;

    @TempDir
    Path temp;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<Path> mountpoints = new ArrayList<>();

    /** One mount of the volume: its core, the FUSE calls it served, and its synchronizer. */
    record Side(Path root, VolumeFileSystem fs, FuseCalls calls, Synchronizer sync, JfuseMount mount) {
        /** The FUSE getattr calls so far: one per lookup or attribute refresh that reached the daemon. */
        long getattrCalls() {
            FuseCalls.OpStats stats = calls.stats().get("getattr");
            return stats == null ? 0 : stats.calls();
        }

        Path resolve(String path) {
            return root.resolve(path);
        }
    }

    @BeforeAll
    static void startService() {
        service = ServiceFixture.start();
    }

    @AfterAll
    static void stopService() {
        service.close();
    }

    @AfterEach
    void unmountAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
        for (Path mountpoint : mountpoints) {
            if (FuseEnvironment.isMounted(mountpoint)) {
                FuseEnvironment.fusermountUnmount(mountpoint);
            }
        }
    }

    Side mount(String volume, String name) throws IOException {
        VolumeInfo info = service.client().createVolumeIfMissing(VolumeName.of(volume));
        Path mountpoint = Files.createDirectories(temp.resolve(name));
        mountpoints.add(mountpoint);
        VolumeFileSystem fs = VolumeFileSystem.open(service.client(), service.transfer(), info, new InMemoryLocalStore(),
                temp.resolve(name + "-state"), new VolumeFileSystem.Settings(64L << 20, 2, 2, 0, 0));
        toClose.add(fs);
        FuseCalls calls = new FuseCalls(volume);
        JfuseMount mount = JfuseMount.mount(fs, calls, mountpoint, 0, 0);
        toClose.add(mount);
        assertThat(mount.kernelCache()).as("the kernel caches names on this machine").isPresent();
        return new Side(mountpoint, fs, calls, new Synchronizer(fs), mount);
    }

    @Test
    void repeatedLookupsOfCachedNamesAreServedByTheKernel() throws Exception {
        Side a = mount("served", "a");
        Files.createDirectories(a.resolve("d/e"));
        for (int i = 0; i < 20; i++) {
            Files.writeString(a.resolve("d/e/f" + i), "file " + i);
        }
        a.sync().commit(null);
        Side b = mount("served", "b");

        assertThat(Files.readString(b.resolve("d/e/f3"))).isEqualTo("file 3");
        // A read marks the access time stale, so the first stat after it asks for attributes once.
        assertThat(Files.size(b.resolve("d/e/f3"))).isEqualTo(6);
        long afterFirst = b.getattrCalls();
        for (int i = 0; i < 50; i++) {
            assertThat(Files.size(b.resolve("d/e/f3"))).isEqualTo(6);
            assertThat(Files.isDirectory(b.resolve("d/e"))).isTrue();
        }
        assertThat(b.getattrCalls()).as("stats of cached names reach the daemon").isEqualTo(afterFirst);

        walk(b.resolve("d"));
        long afterWalk = b.getattrCalls();
        assertThat(walk(b.resolve("d"))).hasSize(22);
        assertThat(run("find", b.resolve("d").toString())).hasSize(22);
        // Listing a directory marks its access time stale: a stat of it then asks once. Nothing else may.
        assertThat(b.getattrCalls() - afterWalk).as("calls reaching the daemon in two walks over 2 cached directories and 20 files")
                .isLessThanOrEqualTo(2 * 2);
    }

    @Test
    void aReloadStatsEachCachedParentOnceAndLeavesDirectoriesTheKernelNeverLookedUpAlone() throws Exception {
        Side a = mount("cost", "a");
        Files.createDirectories(a.resolve("hot"));
        Files.createDirectories(a.resolve("cold/sub"));
        Files.writeString(a.resolve("hot/seen"), "seen");
        a.sync().commit(null);
        Side b = mount("cost", "b");
        assertThat(Files.readString(b.resolve("hot/seen"))).isEqualTo("seen");
        for (int i = 0; i < 50; i++) {
            Files.writeString(a.resolve("hot/new" + i), "new");
            Files.writeString(a.resolve("cold/sub/new" + i), "new");
        }
        a.sync().commit(null);

        long before = b.getattrCalls();
        b.sync().reload();

        assertThat(b.getattrCalls() - before).as("calls reaching the daemon while the reload invalidates 100 new names:"
                + " one stat of hot/, none for cold/ (b's kernel never looked it up)").isEqualTo(1);
        assertThat(list(b.resolve("hot"))).hasSize(51);
        assertThat(list(b.resolve("cold/sub"))).hasSize(50);
    }

    @Test
    void aCachedNameDeletedRemotelyIsGoneAfterReloadAndCanBeCreatedAgainAtOnce() throws Exception {
        Side a = mount("deleted", "a");
        Side b = mount("deleted", "b");
        Files.createDirectories(a.resolve("d"));
        Files.writeString(a.resolve("d/f.txt"), "first");
        Files.writeString(a.resolve("top.txt"), "top");
        a.sync().commit(null);
        b.sync().reload();
        assertThat(Files.readString(b.resolve("d/f.txt"))).isEqualTo("first");
        assertThat(Files.readString(b.resolve("top.txt"))).isEqualTo("top");
        long cached = b.getattrCalls();
        assertThat(Files.exists(b.resolve("d/f.txt"))).isTrue();
        assertThat(b.getattrCalls()).as("b's kernel holds the names").isEqualTo(cached);

        Files.delete(a.resolve("d/f.txt"));
        Files.delete(a.resolve("top.txt"));
        a.sync().commit(null);
        b.sync().reload();

        assertThat(Files.exists(b.resolve("d/f.txt"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.exists(b.resolve("top.txt"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThatThrownBy(() -> Files.readString(b.resolve("d/f.txt"))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> Files.readString(b.resolve("top.txt"))).isInstanceOf(NoSuchFileException.class);
        assertThat(list(b.resolve("d"))).isEmpty();

        Files.writeString(b.resolve("d/f.txt"), "second");
        Files.writeString(b.resolve("top.txt"), "top again");
        assertThat(Files.readString(b.resolve("d/f.txt"))).isEqualTo("second");
        assertThat(Files.readString(b.resolve("top.txt"))).isEqualTo("top again");
    }

    @Test
    void aDirectoryListingAndItsNamesFollowChildrenAddedAndRemovedRemotely() throws Exception {
        Side a = mount("listing", "a");
        Side b = mount("listing", "b");
        Files.createDirectories(a.resolve("d"));
        Files.writeString(a.resolve("d/kept"), "kept");
        Files.writeString(a.resolve("d/removed"), "removed");
        a.sync().commit(null);
        b.sync().reload();
        assertThat(list(b.resolve("d"))).containsExactly("kept", "removed");
        assertThat(Files.size(b.resolve("d/removed"))).isEqualTo(7);

        Files.delete(a.resolve("d/removed"));
        Files.writeString(a.resolve("d/added"), "added");
        Files.writeString(a.resolve("d/kept"), "kept, longer");
        a.sync().commit(null);
        b.sync().reload();

        assertThat(list(b.resolve("d"))).containsExactly("added", "kept");
        assertThat(Files.exists(b.resolve("d/removed"))).isFalse();
        assertThat(Files.size(b.resolve("d/kept"))).isEqualTo(12);
        assertThat(Files.readString(b.resolve("d/kept"))).isEqualTo("kept, longer");
        assertThat(Files.readString(b.resolve("d/added"))).isEqualTo("added");
    }

    @Test
    void aFileReplacedByADirectoryAndADirectoryByAFileShowTheirNewKind() throws Exception {
        Side a = mount("kinds", "a");
        Side b = mount("kinds", "b");
        Files.writeString(a.resolve("x"), "a file");
        Files.createDirectories(a.resolve("y"));
        Files.writeString(a.resolve("y/z"), "inside");
        Files.createDirectories(a.resolve("p"));
        Files.writeString(a.resolve("p/q"), "a nested file");
        a.sync().commit(null);
        b.sync().reload();
        assertThat(Files.readString(b.resolve("x"))).isEqualTo("a file");
        assertThat(Files.readString(b.resolve("y/z"))).isEqualTo("inside");
        assertThat(Files.readString(b.resolve("p/q"))).isEqualTo("a nested file");

        Files.delete(a.resolve("x"));
        Files.createDirectories(a.resolve("x"));
        Files.writeString(a.resolve("x/inner"), "now a directory");
        Files.delete(a.resolve("y/z"));
        Files.delete(a.resolve("y"));
        Files.writeString(a.resolve("y"), "now a file");
        Files.delete(a.resolve("p/q"));
        Files.createDirectories(a.resolve("p/q"));
        a.sync().commit(null);
        b.sync().reload();

        assertThat(Files.isDirectory(b.resolve("x"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.readString(b.resolve("x/inner"))).isEqualTo("now a directory");
        assertThat(Files.isRegularFile(b.resolve("y"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.readString(b.resolve("y"))).isEqualTo("now a file");
        assertThat(Files.exists(b.resolve("y/z"))).isFalse();
        assertThat(Files.isDirectory(b.resolve("p/q"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(list(b.resolve("p/q"))).isEmpty();
    }

    @Test
    void aDirectoryDeletedRemotelyTakesItsCachedSubtreeWithIt() throws Exception {
        Side a = mount("subtree", "a");
        Side b = mount("subtree", "b");
        Files.createDirectories(a.resolve("deep/a/b"));
        Files.writeString(a.resolve("deep/a/b/c.txt"), "c");
        Files.writeString(a.resolve("deep/a/other.txt"), "other");
        Files.writeString(a.resolve("stays.txt"), "stays");
        a.sync().commit(null);
        b.sync().reload();
        assertThat(walk(b.resolve("deep"))).hasSize(5);
        assertThat(Files.readString(b.resolve("deep/a/b/c.txt"))).isEqualTo("c");

        deleteTree(a.resolve("deep"));
        a.sync().commit(null);
        b.sync().reload();

        assertThat(Files.exists(b.resolve("deep"))).isFalse();
        assertThat(Files.exists(b.resolve("deep/a/b/c.txt"))).isFalse();
        assertThat(Files.exists(b.resolve("deep/a/other.txt"))).isFalse();
        assertThat(list(b.root())).containsExactly("stays.txt");
        Files.createDirectories(b.resolve("deep/a/b"));
        assertThat(list(b.resolve("deep/a"))).containsExactly("b");
        assertThat(list(b.resolve("deep/a/b"))).isEmpty();
        Files.writeString(b.resolve("deep/a/b/c.txt"), "new c");
        assertThat(Files.readString(b.resolve("deep/a/b/c.txt"))).isEqualTo("new c");
    }

    @Test
    void aCommitShowsTheChangesOfOtherMountsItPullsIn() throws Exception {
        Side a = mount("pulled", "a");
        Side b = mount("pulled", "b");
        Files.writeString(a.resolve("shared.txt"), "shared");
        Files.createDirectories(a.resolve("d"));
        Files.writeString(a.resolve("d/g"), "a file for now");
        a.sync().commit(null);
        b.sync().reload();
        assertThat(Files.readString(b.resolve("shared.txt"))).isEqualTo("shared");
        assertThat(Files.readString(b.resolve("d/g"))).isEqualTo("a file for now");

        Files.delete(a.resolve("shared.txt"));
        Files.delete(a.resolve("d/g"));
        Files.createDirectories(a.resolve("d/g"));
        a.sync().commit(null);
        Files.writeString(b.resolve("mine.txt"), "b's own");
        b.sync().commit(null);

        assertThat(Files.exists(b.resolve("shared.txt"))).isFalse();
        assertThat(Files.isDirectory(b.resolve("d/g"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.readString(b.resolve("mine.txt"))).isEqualTo("b's own");
        Files.writeString(b.resolve("shared.txt"), "created again");
        assertThat(Files.readString(b.resolve("shared.txt"))).isEqualTo("created again");
    }

    @Test
    void aReloadThatDiscardsLocalNamesDropsThemFromTheKernel() throws Exception {
        Side b = mount("discarded", "b");
        Files.createDirectories(b.resolve("local/dir"));
        Files.writeString(b.resolve("local/dir/f"), "uncommitted");
        Files.writeString(b.resolve("scratch.txt"), "uncommitted");
        assertThat(Files.readString(b.resolve("local/dir/f"))).isEqualTo("uncommitted");

        assertThat(b.sync().reload().discarded()).contains("scratch.txt", "local/dir/f");

        assertThat(Files.exists(b.resolve("scratch.txt"))).isFalse();
        assertThat(Files.exists(b.resolve("local"))).isFalse();
        assertThat(Files.exists(b.resolve("local/dir/f"))).isFalse();
        Files.writeString(b.resolve("scratch.txt"), "again");
        assertThat(Files.readString(b.resolve("scratch.txt"))).isEqualTo("again");
    }

    @Test
    void whenTheDeltaIsTooLargeToListEveryCachedNameIsDropped() throws Exception {
        Side a = mount("everything", "a");
        Side b = mount("everything", "b");
        Files.writeString(a.resolve("t1.txt"), "t1");
        Files.writeString(a.resolve("tmp-name"), "renamed into place");
        Files.createDirectories(a.resolve("dir/sub"));
        Files.writeString(a.resolve("dir/sub/f.txt"), "f");
        Files.writeString(a.resolve("dir/x"), "x");
        a.sync().commit(null);
        b.sync().reload();
        assertThat(walk(b.root())).hasSize(7);
        assertThat(Files.readString(b.resolve("dir/sub/f.txt"))).isEqualTo("f");
        // Known to b's kernel from the rename alone: nothing looks the new name up.
        Files.move(b.resolve("tmp-name"), b.resolve("renamed.txt"));
        // What the synchronizer says when it does not list a delta larger than its limit.
        KernelCache real = b.mount().kernelCache().orElseThrow();
        b.fs().attachKernelCache(paths -> real.invalidate(List.of(VolumePath.ROOT)));

        Files.delete(a.resolve("t1.txt"));
        Files.delete(a.resolve("tmp-name"));
        Files.delete(a.resolve("dir/sub/f.txt"));
        Files.createDirectories(a.resolve("dir/sub/f.txt"));
        Files.delete(a.resolve("dir/x"));
        a.sync().commit(null);
        assertThat(b.sync().reload().discarded()).containsExactlyInAnyOrder("renamed.txt", "tmp-name");

        assertThat(Files.exists(b.resolve("t1.txt"))).isFalse();
        assertThat(Files.exists(b.resolve("renamed.txt"))).as("a discarded name the kernel learned from a rename").isFalse();
        assertThat(Files.exists(b.resolve("tmp-name"))).isFalse();
        assertThat(Files.isDirectory(b.resolve("dir/sub/f.txt"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.exists(b.resolve("dir/x"))).isFalse();
        assertThat(walk(b.root())).hasSize(4);
        Files.writeString(b.resolve("t1.txt"), "t1 again");
        assertThat(Files.readString(b.resolve("t1.txt"))).isEqualTo("t1 again");
    }

    /** Every path below {@code dir} (itself included), stat-ed one by one as {@code ls -lR} would. */
    private static List<Path> walk(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.peek(p -> {
                try {
                    Files.readAttributes(p, "unix:mode,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> children = Files.list(dir)) {
            return children.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Runs a program to completion and answers its output lines; fails on a non-zero exit. */
    private static List<String> run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = process.inputReader().lines().toList();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
        assertThat(process.exitValue()).as("exit code of %s: %s", List.of(command), lines).isZero();
        return lines;
    }
}
