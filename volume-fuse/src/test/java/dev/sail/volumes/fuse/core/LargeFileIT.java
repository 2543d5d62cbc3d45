package dev.sail.volumes.fuse.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.client.VolumeInfo;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.testkit.ServiceFixture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes one large file through a mount's file system (no kernel in the way), commits it to the real
 * service and S3 in this JVM, and reads it back cold from another mount's file system in reads of
 * 128 KiB, as the kernel asks for them: the bytes must match, and the figures (write, commit and cold
 * read rates) are printed. {@code -Dsail.largefile=256} sets the size in MiB (default 40, to keep the
 * suite fast), e.g.
 * {@code mvn -o -pl volume-fuse verify -Dit.test=LargeFileIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dsail.largefile=256}.
 * No speed threshold: the figures depend on the machine.
 */
class LargeFileIT {
    private static final int WRITE = 1 << 20;
    private static final int READ = 128 << 10;

    @TempDir
    Path temp;

    @Test
    void aLargeFileCommitsAndReadsBackColdThroughTheReadAhead() throws IOException {
        long size = Long.getLong("sail.largefile", 40) << 20;
        try (ServiceFixture service = ServiceFixture.start()) {
            VolumeInfo info = service.client().createVolumeIfMissing(VolumeName.of("large-file"));
            MessageDigest written = sha256();
            CommitReport report;
            long startWrite = System.nanoTime();
            long startCommit;
            long cpuBefore;
            try (VolumeFileSystem fs = VolumeFileSystem.open(service.client(), service.transfer(), info, new InMemoryLocalStore(),
                    temp.resolve("a"), VolumeFileSystem.Settings.defaults())) {
                long fh = fs.create("/big", 0644, VolumeFileSystemTest.RW_CREATE);
                Random random = new Random(42);
                byte[] block = new byte[WRITE];
                for (long offset = 0; offset < size; offset += WRITE) {
                    random.nextBytes(block);
                    written.update(block);
                    assertThat(fs.write(fh, ByteBuffer.wrap(block), WRITE, offset)).isEqualTo(WRITE);
                }
                fs.release(fh);
                startCommit = System.nanoTime();
                cpuBefore = cpuNanos();
                report = new Synchronizer(fs).commit(null);
            }
            long endCommit = System.nanoTime();
            long commitCpu = cpuNanos() - cpuBefore;
            assertThat(report.bytesUploaded()).isEqualTo(size);

            VolumeInfo head = service.client().findVolume(VolumeName.of("large-file")).orElseThrow();
            MessageDigest read = sha256();
            long startRead = System.nanoTime();
            long readCpuBefore = cpuNanos();
            try (VolumeFileSystem cold = VolumeFileSystem.open(service.client(), service.transfer(), head, new InMemoryLocalStore(),
                    temp.resolve("b"), VolumeFileSystem.Settings.defaults())) {
                long fh = cold.open("/big", 0);
                ByteBuffer buffer = ByteBuffer.allocate(READ);
                long offset = 0;
                for (int n; (n = cold.read(fh, buffer.clear(), READ, offset)) > 0; offset += n) {
                    read.update(buffer.array(), 0, n);
                }
                cold.release(fh);
                assertThat(offset).isEqualTo(size);
            }
            long endRead = System.nanoTime();
            long readCpu = cpuNanos() - readCpuBefore;
            assertThat(read.digest()).as("the bytes read back cold").isEqualTo(written.digest());
            double mib = size / (double) (1 << 20);
            System.out.printf("LargeFileIT: %.0f MiB written in %.2f s, committed in %.2f s (%.0f MiB/s, %.2f s of CPU in this JVM,"
                            + " S3 and service included), read back cold in %.2f s (%.0f MiB/s, %.2f s of CPU)%n",
                    mib, (startCommit - startWrite) / 1e9, (endCommit - startCommit) / 1e9, mib / ((endCommit - startCommit) / 1e9),
                    commitCpu / 1e9, (endRead - startRead) / 1e9, mib / ((endRead - startRead) / 1e9), readCpu / 1e9);
        }
    }

    /** CPU time of this whole JVM (client, service and S3 server): steadier than wall time on a shared machine. */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
