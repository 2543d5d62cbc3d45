package dev.sail.volumes.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.fuse.core.FuseCalls;
import dev.sail.volumes.fuse.core.InMemoryLocalStore;
import dev.sail.volumes.fuse.core.Synchronizer;
import dev.sail.volumes.fuse.core.VolumeFileSystem;
import dev.sail.volumes.fuse.fake.FakeRemote;
import dev.sail.volumes.manifest.VolumeName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every FUSE binding must pass: mount the core for real and drive it with ordinary
 * file operations through the kernel. The mount is always unmounted, even when an assertion fails.
 */
public abstract class AbstractMountIT {
    /** Mounts {@code fs} at {@code mountpoint} with the binding under test, its callbacks going through {@code calls}. */
    protected abstract FuseMount mount(VolumeFileSystem fs, FuseCalls calls, Path mountpoint);

    @TempDir
    protected Path temp;

    @Test
    void ordinaryFileOperationsWorkThroughTheKernel() throws Exception {
        whileMounted("it", new FuseCalls(), fs -> { }, (fs, mountpoint) -> {
            byte[] big = new byte[3 << 20];
            new Random(1).nextBytes(big);
            Files.createDirectories(mountpoint.resolve("a/b"));
            Files.write(mountpoint.resolve("a/b/big.bin"), big);
            Files.writeString(mountpoint.resolve("note.txt"), "hello");
            Files.move(mountpoint.resolve("note.txt"), mountpoint.resolve("a/renamed.txt"));
            Files.move(mountpoint.resolve("a/b"), mountpoint.resolve("c"), StandardCopyOption.ATOMIC_MOVE);

            assertThat(Files.readAllBytes(mountpoint.resolve("c/big.bin"))).isEqualTo(big);
            assertThat(Files.readString(mountpoint.resolve("a/renamed.txt"))).isEqualTo("hello");
            assertThat(Files.size(mountpoint.resolve("c/big.bin"))).isEqualTo(3 << 20);
            try (Stream<Path> list = Files.list(mountpoint)) {
                assertThat(list.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("a", "c");
            }
            assertThatThrownBy(() -> Files.delete(mountpoint.resolve("a"))).isInstanceOf(DirectoryNotEmptyException.class);
            Files.delete(mountpoint.resolve("a/renamed.txt"));
            Files.delete(mountpoint.resolve("a"));
            assertThatThrownBy(() -> Files.readString(mountpoint.resolve("a/renamed.txt"))).isInstanceOf(NoSuchFileException.class);
            Files.createSymbolicLink(mountpoint.resolve("link"), Path.of("c/big.bin"));
            assertThat(Files.readSymbolicLink(mountpoint.resolve("link"))).isEqualTo(Path.of("c/big.bin"));
            assertThat(Files.size(mountpoint.resolve("link"))).isEqualTo(3 << 20);

            var report = new Synchronizer(fs).commit(null);
            assertThat(report.chunksUploaded()).as("3 MiB in 64 KiB chunks below 1 MiB, 256 KiB beyond").isEqualTo(16 + 8);
            assertThat(Files.readAllBytes(mountpoint.resolve("c/big.bin"))).isEqualTo(big);
            Files.writeString(mountpoint.resolve("c/big.bin"), "short", StandardCharsets.UTF_8);
            assertThat(Files.readString(mountpoint.resolve("c/big.bin"))).isEqualTo("short");
        });
    }

    @Test
    void listingsGiveEachEntrysTypeSoFindLooksUpOnlyDirectories() throws Exception {
        String wide = "ü".repeat(127); // 254 bytes of UTF-8, near the 255 a name may take
        FuseCalls calls = new FuseCalls();
        whileMounted("types", calls, fs -> {
            fs.mkdir("/d", 0755);
            fs.mkdir("/d/sub", 0755);
            for (int i = 0; i < 100; i++) {
                fs.release(fs.create("/d/f" + i, 0644, 0101));
            }
            fs.release(fs.create("/d/" + wide, 0644, 0101));
            fs.symlink("f0", "/d/link");
        }, (fs, mountpoint) -> {
            // find believes the type a listing gives and stats nothing when it has one, so wrong types show here.
            assertThat(find(mountpoint.resolve("d"), "f")).hasSize(101).contains(mountpoint.resolve("d/" + wide).toString());
            assertThat(find(mountpoint.resolve("d"), "d")).containsExactlyInAnyOrder(
                    mountpoint.resolve("d").toString(), mountpoint.resolve("d/sub").toString());
            assertThat(find(mountpoint.resolve("d"), "l")).containsExactly(mountpoint.resolve("d/link").toString());
            long lookups = calls.stats().entrySet().stream().filter(e -> e.getKey().endsWith("getattr"))
                    .mapToLong(e -> e.getValue().calls()).sum();
            // Without types, each find would look up all 102 files and links; with them, only the directories
            // (repeatedly where the binding caches no names).
            assertThat(lookups).as("getattr calls for three finds over 2 directories and 102 other entries").isLessThan(102);
        });
    }

    @Test
    void aListingLongerThanOneReplyComesWholeAndOnceThroughTheKernel() throws Exception {
        List<String> names = new ArrayList<>();
        whileMounted("long-listing", new FuseCalls(), fs -> {
            fs.mkdir("/d", 0755);
            for (int i = 0; i < 3000; i++) {
                // 3,000 entries of about 128 bytes each: several READDIR replies, however large the kernel asks them.
                String name = String.format("%04d-", i) + "n".repeat(90 + i % 7);
                names.add(name);
                fs.release(fs.create("/d/" + name, 0644, 0101));
            }
        }, (fs, mountpoint) -> {
            for (int round = 0; round < 2; round++) {
                try (Stream<Path> list = Files.list(mountpoint.resolve("d"))) {
                    assertThat(list.map(p -> p.getFileName().toString()).toList()).as("round %d", round)
                            .containsExactlyInAnyOrderElementsOf(names);
                }
            }
        });
    }

    /** Prepares a file system before it is mounted. */
    @FunctionalInterface
    protected interface Preparation {
        void prepare(VolumeFileSystem fs) throws Exception;
    }

    /** What a test does through the mount. */
    @FunctionalInterface
    protected interface Body {
        void run(VolumeFileSystem fs, Path mountpoint) throws Exception;
    }

    /**
     * Opens a file system over a new volume {@code volume} (64 KiB chunks below 1 MiB, 256 KiB beyond),
     * lets {@code prepare} fill it, mounts it with the binding under test and runs {@code body}; the mount
     * is always unmounted, even when an assertion fails.
     */
    protected void whileMounted(String volume, FuseCalls calls, Preparation prepare, Body body) throws Exception {
        FakeRemote remote = new FakeRemote(new ChunkLayout(64 << 10, 1 << 20, 256 << 10));
        var info = remote.service().createVolumeIfMissing(VolumeName.of(volume));
        Path mountpoint = Files.createDirectories(temp.resolve("mnt"));
        try (VolumeFileSystem fs = VolumeFileSystem.open(remote.service(), remote.transfer(), info, new InMemoryLocalStore(),
                temp.resolve("state"), VolumeFileSystem.Settings.defaults())) {
            prepare.prepare(fs);
            FuseMount mount = mount(fs, calls, mountpoint);
            try {
                body.run(fs, mountpoint);
            } finally {
                mount.close();
                assertThat(FuseEnvironment.isMounted(mountpoint)).isFalse();
            }
        } finally {
            if (FuseEnvironment.isMounted(mountpoint)) {
                FuseEnvironment.fusermountUnmount(mountpoint);
            }
        }
    }

    /** The paths {@code find DIR -type TYPE} prints. */
    private static List<String> find(Path dir, String type) throws Exception {
        Process process = new ProcessBuilder("find", dir.toString(), "-type", type).redirectErrorStream(true).start();
        List<String> lines = process.inputReader(StandardCharsets.UTF_8).lines().toList();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("find's exit code (output %s)", lines).isZero();
        return lines;
    }
}
