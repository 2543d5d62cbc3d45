package dev.sail.volumes.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sail.volumes.client.HttpChunkTransfer;
import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.testkit.ServiceFixture;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk on the guest: the daemon's state dir (dirty chunks, cache, local RocksDB) is a 32 MiB tmpfs.
 * What holds: writing past the space answers ENOSPC ("No space left on device") to the writer; once the
 * big file is deleted the space comes back, the committed file reads back whole, new writes succeed, the
 * commit publishes exactly the surviving changes, and everything reads back after a remount; committed
 * data also reads back while the disk is still full.
 *
 * <p>Needs root to mount the tmpfs; elsewhere the test is skipped with that reason.
 */
class DiskFullIT {
    private static final int MIB = 1 << 20;
    private static final VolumeName VOLUME = VolumeName.of("full");

    @TempDir
    Path temp;

    @Test
    void aFullStateDirAnswersEnospcCorruptsNothingAndRecoversWhenSpaceReturns() throws Exception {
        onAFullGuest((guests, mnt, state, commits, kept) -> {
            Files.delete(mnt.resolve("big.bin"));
            // The kernel sends the file's release after close() returns: its dirty chunks go a moment later.
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.getFileStore(state).getUsableSpace() > 16L * MIB);
            assertThat(Arrays.mismatch(Files.readAllBytes(mnt.resolve("kept.bin")), kept)).as("committed data, first bad byte").isEqualTo(-1);
            byte[] after = GuestFaultsIT.random(2 * MIB, 6);
            Files.write(mnt.resolve("after.bin"), after);
            CommitReport report = guests.control(mnt).commit((a, b, c, d) -> { });
            assertThat(report.seq()).isEqualTo(2);
            assertThat(report.filesChanged()).as("only after.bin: big.bin was never committed").isEqualTo(1);
            assertThat(commits.read(VOLUME, VolumePath.of("after.bin"), 2)).isEqualTo(after);
            assertThat(commits.read(VOLUME, VolumePath.of("kept.bin"), 2)).isEqualTo(kept);

            guests.unmount(mnt, guests.daemon(mnt));
            Process again = guests.mount(VOLUME.value(), mnt, state, "--cache-size", "4M");
            assertThat(Arrays.mismatch(Files.readAllBytes(mnt.resolve("kept.bin")), kept)).as("kept.bin after a remount").isEqualTo(-1);
            assertThat(Arrays.mismatch(Files.readAllBytes(mnt.resolve("after.bin")), after)).as("after.bin after a remount").isEqualTo(-1);
            guests.unmount(mnt, again);
        });
    }

    @Test
    void committedDataStaysReadableWhileTheDiskIsFull() throws Exception {
        onAFullGuest((guests, mnt, state, commits, kept) ->
                assertThat(Arrays.mismatch(Files.readAllBytes(mnt.resolve("kept.bin")), kept))
                        .as("committed data read while the disk is full, first bad byte").isEqualTo(-1));
    }

    private interface FullGuest {
        void run(Guests guests, Path mnt, Path state, ClientCommits commits, byte[] kept) throws Exception;
    }

    /**
     * A guest on a 32 MiB tmpfs state dir with {@code kept.bin} (3 MiB) committed, then {@code big.bin}
     * written until ENOSPC; runs {@code body}; unmounts everything and the tmpfs.
     */
    private void onAFullGuest(FullGuest body) throws Exception {
        Path tmpfs = temp.resolve("state-tmpfs");
        Files.createDirectories(tmpfs);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=32m,mode=0700", "tmpfs", tmpfs.toString())
                .redirectErrorStream(true).start();
        String mountOutput = new String(mount.getInputStream().readAllBytes());
        assumeTrue(mount.waitFor() == 0, "a tmpfs cannot be mounted here (needs root): " + mountOutput.strip());
        try (ServiceFixture service = ServiceFixture.builder().chunkLayout(GuestFaultsIT.LAYOUT).start();
             Guests guests = new Guests(service, temp);
             HttpChunkTransfer transfer = new HttpChunkTransfer()) {
            ClientCommits commits = new ClientCommits(service.client(), transfer, GuestFaultsIT.LAYOUT);
            Path mnt = temp.resolve("mnt");
            Path state = tmpfs.resolve("s");
            guests.mount(VOLUME.value(), mnt, state, "--cache-size", "4M");
            byte[] kept = GuestFaultsIT.random(3 * MIB, 5);
            Files.write(mnt.resolve("kept.bin"), kept);
            assertThat(guests.control(mnt).commit((a, b, c, d) -> { }).seq()).isEqualTo(1);

            long written = fillUntilFull(mnt.resolve("big.bin"));

            assertThat(written).as("bytes written before the disk filled").isLessThan(32L * MIB);
            body.run(guests, mnt, state, commits, kept);
        } finally {
            new ProcessBuilder("umount", "-l", tmpfs.toString()).inheritIO().start().waitFor();
        }
    }

    /** Writes 1 MiB blocks until the file system refuses; answers the bytes written. */
    private static long fillUntilFull(Path file) {
        byte[] block = new byte[MIB];
        new Random(7).nextBytes(block);
        long[] written = {0};
        assertThatThrownBy(() -> {
            try (OutputStream out = Files.newOutputStream(file)) {
                for (int i = 0; i < 64; i++) {
                    out.write(block);
                    out.flush();
                    written[0] += block.length;
                }
            }
        }).as("writing 64 MiB into a 32 MiB state dir").isInstanceOf(IOException.class).hasMessageContaining("No space left on device");
        return written[0];
    }
}
