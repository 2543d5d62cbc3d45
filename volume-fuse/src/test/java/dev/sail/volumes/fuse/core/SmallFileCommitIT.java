package dev.sail.volumes.fuse.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.client.HttpChunkTransfer;
import dev.sail.volumes.client.VolumeInfo;
import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.testkit.S3ServerFixture;
import dev.sail.volumes.testkit.ServiceFixture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commits many small files from a mount's file system (no kernel in the way) to the real service and
 * S3 in this JVM, and prints the figures: the reproducible measure of small-file commit throughput.
 * They go up in packs, each byte once, each pack checked once; another mount reads them back.
 * {@code -Dsail.smallfiles=2000} (default 200, to keep the suite fast) sets the file count and
 * {@code -Dsail.inflight=N} the uploads in flight (default {@link HttpChunkTransfer#DEFAULT_MAX_IN_FLIGHT}), e.g.
 * {@code mvn -o -pl volume-fuse verify -Dit.test=SmallFileCommitIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dsail.smallfiles=2000}.
 * No speed threshold: the figures depend on the machine.
 */
class SmallFileCommitIT {
    static final int SIZE = 4096;
    private static final int WARM_UP = 300;

    @TempDir
    Path temp;

    @Test
    void manySmallFilesCommitAndReadBackFromAnotherMount() throws IOException {
        int files = Integer.getInteger("sail.smallfiles", 200);
        int inFlight = Integer.getInteger("sail.inflight", HttpChunkTransfer.DEFAULT_MAX_IN_FLIGHT);
        try (ServiceFixture service = ServiceFixture.start();
             HttpChunkTransfer transfer = new HttpChunkTransfer(inFlight, HttpChunkTransfer.DEFAULT_MAX_BYTES_IN_FLIGHT, 5,
                     Duration.ofMillis(200), Duration.ofMinutes(5))) {
            VolumeInfo info = service.client().createVolumeIfMissing(VolumeName.of("small-files"));
            try (VolumeFileSystem fs = VolumeFileSystem.open(service.client(), transfer, info, new InMemoryLocalStore(),
                    temp.resolve("a"), VolumeFileSystem.Settings.defaults())) {
                // An untimed round first, so that the figures are the steady state's rather than the JIT's.
                fs.mkdir("/warm-up", 0755);
                for (int i = 0; i < WARM_UP; i++) {
                    VolumeFileSystemTest.write(fs, "/warm-up/f" + i, content(-1 - i));
                }
                new Synchronizer(fs).commit(null);
                long startWrite = System.nanoTime();
                fs.mkdir("/d", 0755);
                for (int i = 0; i < files; i++) {
                    VolumeFileSystemTest.write(fs, "/d/f" + i, content(i));
                }
                long startCommit = System.nanoTime();
                long cpuBefore = LargeFileIT.cpuNanos();
                service.s3().resetCounters();
                CommitReport report = new Synchronizer(fs).commit(null);
                S3ServerFixture.Counters s3 = service.s3().counters();
                long end = System.nanoTime();
                long cpu = LargeFileIT.cpuNanos() - cpuBefore;

                double commitSeconds = (end - startCommit) / 1e9;
                System.out.printf("SmallFileCommitIT: %d x %d B files, %d uploads in flight: written in %.2f s, committed in %.2f s"
                                + " = %.0f files/s (%d chunks uploaded; %.2f s of CPU in this JVM, S3 and service included)%n", files, SIZE, inFlight,
                        (startCommit - startWrite) / 1e9, commitSeconds, files / commitSeconds, report.chunksUploaded(), cpu / 1e9);
                assertThat(report.filesChanged()).isEqualTo(files + 1);
                assertThat(report.chunksUploaded()).isEqualTo(files);
                assertThat(s3.bytesPut()).as("every new byte uploaded once").isEqualTo((long) files * SIZE);
                assertThat(s3.putRequests()).as("small files go up in packs").isLessThan(Math.max(2, files / 10));
                assertThat(s3.headRequests()).as("each upload is checked in storage once, not again at the commit")
                        .isEqualTo(s3.putRequests());
            }
            VolumeInfo head = service.client().findVolume(VolumeName.of("small-files")).orElseThrow();
            try (VolumeFileSystem other = VolumeFileSystem.open(service.client(), service.transfer(), head, new InMemoryLocalStore(),
                    temp.resolve("b"), VolumeFileSystem.Settings.defaults())) {
                assertThat(other.readdir("/d")).hasSize(files);
                for (int i : new int[] {0, files / 2, files - 1}) {
                    assertThat(VolumeFileSystemTest.read(other, "/d/f" + i)).as("file %d", i).isEqualTo(content(i));
                }
            }
        }
    }

    private static byte[] content(int i) {
        byte[] bytes = new byte[SIZE];
        Arrays.fill(bytes, (byte) i);
        ByteBuffer.wrap(bytes).putInt(i);
        return bytes;
    }
}
