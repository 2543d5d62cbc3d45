package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.testkit.S3ServerFixture;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Semantic 3: writes are local (a dirty overlay on the guest's disk) until commit(); the mount always
 * reads its own writes. The guest's disk keeps them across an unmount or a killed daemon.
 */
class LocalWritesIT extends AcceptanceBase {

    @Test
    void semantic3_writesStayLocalUntilCommitAndTheMountReadsItsOwnWrites() throws Exception {
        String volume = uniqueVolume("local");
        Sailbox a = mounted("a", volume);
        Sailbox b = mounted("b", volume);
        S3ServerFixture.Counters s3Before = s3().counters();
        ServiceMetrics before = metrics();

        byte[] data = bytes(3 * MIB, 3);
        write(a.path("work/data.bin"), data);
        try (FileChannel channel = FileChannel.open(a.path("work/data.bin"), StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap("patched".getBytes()), MIB);
        }
        System.arraycopy("patched".getBytes(), 0, data, MIB, 7);
        Files.writeString(a.path("work/log.txt"), "line 1\n");
        Files.writeString(a.path("work/log.txt"), "line 2\n", StandardOpenOption.APPEND);
        Files.move(a.path("work/log.txt"), a.path("work/renamed.txt"));

        assertThat(Files.readAllBytes(a.path("work/data.bin"))).as("the mount reads its own writes").isEqualTo(data);
        assertThat(Files.readString(a.path("work/renamed.txt"))).isEqualTo("line 1\nline 2\n");
        assertThat(a.path("work/log.txt")).doesNotExist();
        assertThat(a.volume().status().dirtyPaths()).contains("work/data.bin", "work/renamed.txt");

        assertThat(b.volume().reload()).as("nothing was published").isEmpty();
        assertThat(b.path("work")).as("the other mount does not have it").doesNotExist();
        S3ServerFixture.Counters s3After = s3().counters();
        assertThat(s3After.putRequests() - s3Before.putRequests()).as("PUTs to S3 before commit").isZero();
        ServiceMetrics during = metrics().since(before);
        assertThat(during.sum("sail_commits_total")).as("commits before commit()").isZero();
        assertThat(during.requests("route=\"/v1/volumes/{name}/uploads\"")).as("upload plans before commit()").isZero();

        a.volume().commit();
        b.volume().reload();
        assertThat(Files.readAllBytes(b.path("work/data.bin"))).isEqualTo(data);
        assertThat(Files.readString(b.path("work/renamed.txt"))).isEqualTo("line 1\nline 2\n");
    }

    @Test
    void semantic3_unmountWithUncommittedChangesAndRemountLosesNothing() throws Exception {
        String volume = uniqueVolume("remount");
        Sailbox a = sailbox("a");
        a.mount(volume);
        byte[] data = bytes(9 * MIB + 5, 33);
        write(a.path("deep/dir/big.bin"), data);
        Files.writeString(a.path("notebook.ipynb"), "{\"cells\":[]}");
        a.unmount();
        assertThat(a.path("notebook.ipynb")).as("unmounted: the mount point is an empty directory again").doesNotExist();

        a.mount(volume);
        assertThat(Files.readAllBytes(a.path("deep/dir/big.bin"))).isEqualTo(data);
        assertThat(Files.readString(a.path("notebook.ipynb"))).isEqualTo("{\"cells\":[]}");
        assertThat(a.volume().status().dirtyPaths()).as("still uncommitted").contains("deep/dir/big.bin", "notebook.ipynb");

        // And a daemon killed with SIGKILL (OOM, a crash) loses nothing either: mount clears the dead mount.
        byte[] more = Arrays.copyOf(data, 100);
        write(a.path("after-remount.bin"), more);
        a.killDaemon();
        a.mount(volume);
        assertThat(Files.readAllBytes(a.path("after-remount.bin"))).isEqualTo(more);
        assertThat(Files.readAllBytes(a.path("deep/dir/big.bin"))).isEqualTo(data);

        S3ServerFixture.Counters beforeCommit = s3().counters();
        CommitReport report = a.volume().commitReport();
        assertThat(report.filesChanged()).as("every uncommitted path, published").isGreaterThanOrEqualTo(3);
        assertThat(s3().counters().bytesPut() - beforeCommit.bytesPut()).as("every uncommitted byte reached S3")
                .isEqualTo(data.length + "{\"cells\":[]}".length() + more.length);
    }
}
