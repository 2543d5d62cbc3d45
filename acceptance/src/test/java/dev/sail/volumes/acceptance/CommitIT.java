package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.client.Volume;
import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.testkit.S3ServerFixture;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * Semantic 4: commit() detects changed paths, uploads only the chunks the service lacks, publishes one
 * metadata commit and returns its id; atomic; durable once it returns.
 */
class CommitIT extends AcceptanceBase {

    @Test
    void semantic4_commitIsAtomicAndReturnsItsId() throws Exception {
        String volume = uniqueVolume("commit");
        Sailbox a = mounted("a", volume);
        Sailbox b = mounted("b", volume);
        write(a.path("docs/one.txt"), "one".getBytes());
        write(a.path("docs/two.txt"), "two".getBytes());
        write(a.path("three.bin"), bytes(3 * MIB, 4));
        ServiceMetrics before = metrics();

        Launcher.Result commit = a.cli("commit", a.mountpoint().toString());

        assertThat(commit.exit()).as(commit.transcript()).isZero();
        String id = commit.out().strip();
        assertThat(id).as("the commit id printed on stdout").isNotEmpty().doesNotContain(" ");
        Volume head = Volume.get(service.client(), volume, false);
        assertThat(head.headCommit()).as("the volume's head is the commit the CLI printed").isEqualTo(id);
        ServiceMetrics during = metrics().since(before);
        assertThat(during.sum("sail_commits_total")).as("one metadata commit published").isEqualTo(1.0);
        assertThat(commit.err()).contains("Committed ").contains("as seq " + head.headSeq());

        // Visible whole: the other mount sees every path of the commit at once, at that commit.
        assertThat(b.volume().reload()).isEqualTo(id);
        assertThat(Files.readString(b.path("docs/one.txt"))).isEqualTo("one");
        assertThat(Files.readString(b.path("docs/two.txt"))).isEqualTo("two");
        assertThat(Files.readAllBytes(b.path("three.bin"))).isEqualTo(bytes(3 * MIB, 4));
    }

    @Test
    void semantic4_commitUploadsOnlyChangedPathsAndOnlyChunksTheServiceLacks() throws Exception {
        String volume = uniqueVolume("commit");
        Sailbox a = mounted("a", volume);
        byte[] big = bytes(5 * MIB, 41);
        write(a.path("big.bin"), big);
        write(a.path("small.txt"), "small".getBytes());
        S3ServerFixture.Counters before = s3().counters();

        CommitReport first = a.volume().commitReport();

        S3ServerFixture.Counters after = s3().counters();
        assertThat(first.filesChanged()).isEqualTo(2);
        assertThat(after.bytesPut() - before.bytesPut()).as("bytes S3 received for the first commit")
                .isEqualTo(big.length + 5L).isEqualTo(first.bytesUploaded());

        // Unchanged paths are not looked at again; a copy of known bytes uploads nothing.
        write(a.path("copy-of-big.bin"), big);
        S3ServerFixture.Counters beforeSecond = s3().counters();
        CommitReport second = a.volume().commitReport();
        assertThat(second.filesChanged()).as("only the new path is in the commit").isEqualTo(1);
        assertThat(s3().counters().bytesPut() - beforeSecond.bytesPut()).as("bytes S3 received for known content").isZero();
        assertThat(second.chunksUploaded()).isZero();

        CommitReport nothing = a.volume().commitReport();
        assertThat(nothing.nothingToCommit()).isTrue();
        assertThat(nothing.commit()).as("nothing to commit answers the base").isEqualTo(second.commit());
    }

    @Test
    void semantic4_aCommitSurvivesAnyCrashOnceItReturns() throws Exception {
        String volume = uniqueVolume("durable");
        Sailbox a = mounted("a", volume);
        byte[] data = bytes(2 * MIB, 44);
        write(a.path("kept.bin"), data);
        String id = a.volume().commit();

        // The guest dies with the state dir lost, and the service restarts (graceful drain is not needed: CrashIT
        // in volume-service kills it with SIGKILL). A brand-new sailbox still reads the commit.
        a.killDaemon();
        service.restart();
        Sailbox fresh = mounted("fresh", volume);
        assertThat(fresh.volume().status().baseCommit()).isEqualTo(id);
        assertThat(Files.readAllBytes(fresh.path("kept.bin"))).isEqualTo(data);
    }
}
