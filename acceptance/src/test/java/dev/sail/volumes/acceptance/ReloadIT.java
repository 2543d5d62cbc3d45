package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.client.control.ReloadReport;
import dev.sail.volumes.testkit.S3ServerFixture;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Semantic 6: reload() moves the mount to the latest commit; metadata only; its cost grows with what
 * changed, not with the volume's size; it discards local changes, reporting them and keeping their bytes;
 * new operations see the new state while an open file keeps the version it opened.
 */
class ReloadIT extends AcceptanceBase {
    private static final String VOLUME = uniqueVolume("reload");

    /** What one reload cost, by the service's and the S3 server's own meters. */
    record Cost(long serviceRequests, long s3Requests, long s3BytesGot) {
    }

    private static Cost reloadCost(Sailbox box) {
        S3ServerFixture.Counters s3Before = s3().counters();
        ServiceMetrics before = metrics();
        box.volume().reload();
        S3ServerFixture.Counters s3After = s3().counters();
        return new Cost(metrics().since(before).requests("route=\"/v1/"), s3After.requests() - s3Before.requests(),
                s3After.bytesGot() - s3Before.bytesGot());
    }

    @Test
    void semantic6_reloadIsMetadataOnlyAndCostsWhatChangedNotTheVolumeSize() throws Exception {
        Sailbox writer = shared("a", VOLUME);
        Sailbox reader = shared("b", VOLUME);
        write(writer.path("cost/one.txt"), "v1".getBytes());
        writer.volume().commit();
        Cost small = reloadCost(reader);

        // The volume grows 200-fold in paths and by 12 MiB of bytes; the reader does not look at any of it.
        for (int d = 0; d < 4; d++) {
            for (int f = 0; f < 50; f++) {
                write(writer.path("cost/tree/d" + d + "/f" + f + ".txt"), ("file " + d + "/" + f).getBytes());
            }
        }
        write(writer.path("cost/tree/big.bin"), bytes(12 * MIB, 6));
        writer.volume().commit();
        reader.volume().reload();

        Files.writeString(writer.path("cost/one.txt"), "v2");
        writer.volume().commit();
        Cost large = reloadCost(reader);

        assertThat(small.s3Requests()).as("S3 requests of a reload").isZero();
        assertThat(large.s3Requests()).as("S3 requests of a reload in a large volume").isZero();
        assertThat(large.s3BytesGot()).isZero();
        assertThat(large.serviceRequests()).as("service requests of a one-path reload, 1 vs 202 paths")
                .isPositive().isEqualTo(small.serviceRequests());
        assertThat(Files.readString(reader.path("cost/one.txt"))).isEqualTo("v2");
    }

    @Test
    void semantic6_reloadWhileDirtyDiscardsReportsAndStashesTheBytes() throws Exception {
        Sailbox a = shared("a", VOLUME);
        Sailbox b = shared("b", VOLUME);
        write(a.path("dirty/report.txt"), "committed".getBytes());
        a.volume().commit();
        byte[] scratch = bytes(2 * MIB, 66);
        write(a.path("dirty/scratch/tmp.bin"), scratch);
        Files.writeString(a.path("dirty/report.txt"), "edited, never committed");
        write(b.path("dirty/from-b.txt"), "b".getBytes());
        String head = b.volume().commit();

        Launcher.Result reload = a.cli("reload", a.mountpoint().toString());

        assertThat(reload.exit()).as(reload.transcript()).isZero();
        assertThat(reload.out().strip()).isEqualTo(head);
        Matcher stash = Pattern.compile("Discarded \\d+ uncommitted path\\(s\\), kept in stash (\\S+) \\(sail-volume stash restore .*\\):\\n")
                .matcher(reload.err());
        assertThat(stash.find()).as("reload names what it discarded and where the bytes are: %s", reload.err()).isTrue();
        assertThat(reload.err()).contains("  dirty/report.txt").contains("  dirty/scratch/tmp.bin");
        assertThat(a.path("dirty/scratch")).as("discarded from the mount").doesNotExist();
        assertThat(Files.readString(a.path("dirty/report.txt"))).isEqualTo("committed");
        assertThat(Files.readString(a.path("dirty/from-b.txt"))).isEqualTo("b");

        Launcher.Result list = a.cli("stash", "list", a.mountpoint().toString());
        assertThat(list.out()).contains(stash.group(1)).contains("dirty/scratch/tmp.bin");
        Launcher.Result restore = a.cli("stash", "restore", a.mountpoint().toString(), stash.group(1));
        assertThat(restore.exit()).as(restore.transcript()).isZero();
        assertThat(Files.readAllBytes(a.path("dirty/scratch/tmp.bin"))).as("nothing destroyed silently").isEqualTo(scratch);
        assertThat(Files.readString(a.path("dirty/report.txt"))).isEqualTo("edited, never committed");
    }

    @Test
    void semantic6_aFileOpenAcrossAReloadKeepsItsVersionWhileNewOperationsSeeTheNewState() throws Exception {
        Sailbox a = shared("a", VOLUME);
        Sailbox b = shared("b", VOLUME);
        byte[] v1 = bytes(MIB + 17, 1);
        byte[] v2 = bytes(2 * MIB + 3, 2);
        write(a.path("open/data.bin"), v1);
        a.volume().commit();
        b.volume().reload();
        write(b.path("open/data.bin"), v2);
        String head = b.volume().commit();

        try (FileChannel open = FileChannel.open(a.path("open/data.bin"), StandardOpenOption.READ)) {
            ReloadReport report = a.volume().reloadReport();
            assertThat(report.commit()).isEqualTo(head);
            assertThat(report.discarded()).isEmpty();

            ByteBuffer old = ByteBuffer.allocate(v2.length);
            while (open.read(old) > 0) {
                // read to the end of what the open file holds
            }
            old.flip();
            byte[] read = new byte[old.remaining()];
            old.get(read);
            assertThat(read).as("the file opened before the reload keeps reading the version it opened").isEqualTo(v1);

            assertThat(Files.size(a.path("open/data.bin"))).as("a new stat sees the new state").isEqualTo(v2.length);
            assertThat(Files.readAllBytes(a.path("open/data.bin"))).as("a new open reads the new version").isEqualTo(v2);
        }
    }
}
