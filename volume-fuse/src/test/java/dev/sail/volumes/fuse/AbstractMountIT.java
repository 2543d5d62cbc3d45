package dev.sail.volumes.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.chunking.ChunkLayout;
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
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every FUSE binding must pass: mount the core for real and drive it with ordinary
 * file operations through the kernel. The mount is always unmounted, even when an assertion fails.
 */
public abstract class AbstractMountIT {
    /** Mounts {@code fs} at {@code mountpoint} with the binding under test. */
    protected abstract FuseMount mount(VolumeFileSystem fs, Path mountpoint);

    @TempDir
    protected Path temp;

    @Test
    void ordinaryFileOperationsWorkThroughTheKernel() throws Exception {
        FakeRemote remote = new FakeRemote(new ChunkLayout(64 << 10, 1 << 20, 256 << 10));
        var info = remote.service().createVolumeIfMissing(VolumeName.of("it"));
        Path mountpoint = Files.createDirectories(temp.resolve("mnt"));
        try (VolumeFileSystem fs = VolumeFileSystem.open(remote.service(), remote.transfer(), info, new InMemoryLocalStore(),
                temp.resolve("state"), VolumeFileSystem.Settings.defaults())) {
            FuseMount mount = mount(fs, mountpoint);
            try {
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

}
