package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.client.HttpChunkTransfer;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.Volume;
import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Semantic 5: commits apply per path onto the head; different paths both survive; for one path the
 * commit the service accepts last wins, its result lists what it overwrote, and the overwritten
 * version stays readable in history.
 */
class MergingIT extends AcceptanceBase {
    private static final String VOLUME = uniqueVolume("merge");

    @Test
    void semantic5_concurrentCommitsToDifferentPathsBothSurvive() throws Exception {
        Sailbox a = shared("a", VOLUME);
        Sailbox b = shared("b", VOLUME);
        write(a.path("different/from-a.txt"), "a".getBytes());
        write(b.path("different/from-b.txt"), "b".getBytes());

        CompletableFuture<CommitReport> commitA = CompletableFuture.supplyAsync(() -> a.volume().commitReport());
        CompletableFuture<CommitReport> commitB = CompletableFuture.supplyAsync(() -> b.volume().commitReport());
        CommitReport ra = commitA.join();
        CommitReport rb = commitB.join();

        assertThat(ra.seq()).isNotEqualTo(rb.seq());
        assertThat(ra.overwritten()).isEmpty();
        assertThat(rb.overwritten()).isEmpty();
        for (Sailbox box : List.of(a, b)) {
            assertThat(box.volume().reloadReport().seq()).isEqualTo(Math.max(ra.seq(), rb.seq()));
            assertThat(Files.readString(box.path("different/from-a.txt"))).isEqualTo("a");
            assertThat(Files.readString(box.path("different/from-b.txt"))).isEqualTo("b");
        }
    }

    @Test
    void semantic5_forOnePathTheLastAcceptedCommitWinsReportsTheOverwriteAndKeepsHistory() throws Exception {
        Sailbox a = shared("a", VOLUME);
        Sailbox b = shared("b", VOLUME);
        write(a.path("same/notebook.ipynb"), "base".getBytes());
        a.volume().commit();
        b.volume().reload();

        Files.writeString(a.path("same/notebook.ipynb"), "from a");
        Files.writeString(b.path("same/notebook.ipynb"), "from b, written earlier by its clock");
        CommitReport first = a.volume().commitReport();
        Launcher.Result last = b.cli("commit", b.mountpoint().toString());

        assertThat(last.exit()).as(last.transcript()).isZero();
        assertThat(last.err()).as("the last writer is told what it overwrote")
                .contains("Overwrote newer changes from other mounts (the previous versions stay in history):\n  same/notebook.ipynb");
        Volume head = Volume.get(service.client(), VOLUME, false);
        assertThat(head.headCommit()).isEqualTo(last.out().strip());
        assertThat(head.headSeq()).as("the service's sequence orders them, not the guests' clocks").isGreaterThan(first.seq());
        assertThat(first.overwritten()).isEmpty();

        a.volume().reload();
        assertThat(Files.readString(a.path("same/notebook.ipynb"))).isEqualTo("from b, written earlier by its clock");

        // The overwritten version is in history: read it at a's commit through the service API and S3.
        Versioned old = service.client().stat(VolumeName.of(VOLUME), VolumePath.of("same/notebook.ipynb"), first.seq()).orElseThrow();
        Entry.File file = (Entry.File) old.entry();
        List<PresignedUrl> urls = service.client().downloadUrls(VolumeName.of(VOLUME), file.chunks());
        HttpChunkTransfer transfer = service.transfer();
        ByteBuffer bytes = transfer.download(urls.getFirst());
        assertThat(StandardCharsets.UTF_8.decode(bytes).toString()).isEqualTo("from a");
    }
}
