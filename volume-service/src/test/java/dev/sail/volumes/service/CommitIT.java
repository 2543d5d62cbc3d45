package dev.sail.volumes.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.client.CommitResult;
import dev.sail.volumes.client.HttpVolumeService;
import dev.sail.volumes.client.MissingChunksException;
import dev.sail.volumes.client.VolumeInfo;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommitIT {
    @TempDir
    static Path data;
    static RunningService service;

    @BeforeAll
    static void start() {
        service = new RunningService(data);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void commitReferencingAMissingChunkFailsNamingItAndChangesNothing() {
        HttpVolumeService client = service.client();
        VolumeName name = VolumeName.of("missing");
        client.createVolumeIfMissing(name);
        Entry.File stored = service.upload(name, bytes("stored"));
        ChunkId absent = RunningService.idOf(bytes("never uploaded"));
        Entry.File missing = new Entry.File(14, 0644, 0, List.of(absent));

        assertThatThrownBy(() -> client.commit(name, new CommitProposal(0, "k", "m", List.of(
                new Change(VolumePath.of("ok"), stored), new Change(VolumePath.of("bad"), missing)))))
                .isInstanceOfSatisfying(MissingChunksException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.chunks()).containsExactly(absent);
                    assertThat(e.getMessage()).contains("Cannot commit volume 'missing'", "1 chunk missing in storage");
                });
        assertThat(client.findVolume(name)).map(VolumeInfo::headSeq).contains(0L);
        assertThat(client.stat(name, VolumePath.of("ok"), 0)).isEmpty();

        // A retry after uploading succeeds under the same idempotency key: the failure recorded nothing.
        Entry.File uploaded = service.upload(name, bytes("never uploaded"));
        CommitResult result = client.commit(name, new CommitProposal(0, "k", "m", List.of(
                new Change(VolumePath.of("ok"), stored), new Change(VolumePath.of("bad"), uploaded))));
        assertThat(result.seq()).isEqualTo(1);
    }

    @Test
    void uploadsReportedBeforeTheCommitAreCheckedInStorageAndOnlyThoseHeldCount() {
        HttpVolumeService client = service.client();
        VolumeName name = VolumeName.of("verify");
        client.createVolumeIfMissing(name);
        byte[] a = bytes("uploaded chunk");
        byte[] b = bytes("chunk never uploaded");
        List<ChunkSpec> specs = List.of(new ChunkSpec(RunningService.idOf(a), a.length), new ChunkSpec(RunningService.idOf(b), b.length));
        UploadPlan plan = client.planUploads(name, specs);
        PresignedUrl urlA = plan.uploads().stream().filter(u -> u.id().equals(RunningService.idOf(a))).findFirst().orElseThrow();
        assertThat(service.put(urlA, a)).isEqualTo(200);

        assertThat(client.verifyUploads(name, specs)).as("a is in storage, b is not").containsExactly(RunningService.idOf(a));
        assertThatThrownBy(() -> client.verifyUploads(name, List.of(new ChunkSpec(RunningService.idOf(a), a.length + 1))))
                .as("the right id with the wrong size")
                .isInstanceOfSatisfying(VolumeServiceException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessageContaining("holds 14 bytes, the request says 15");

        // Another org learns nothing of this org's chunk by reporting it.
        RunningService.Response created = service.call("POST", "/v1/admin/orgs", service.server.adminKey(), "{\"name\":\"verify-prober\"}");
        HttpVolumeService other = service.client(created.body().path("apiKey").asText());
        other.createVolumeIfMissing(VolumeName.of("probe"));
        assertThat(other.verifyUploads(VolumeName.of("probe"), specs)).isEmpty();

        List<Change> changes = List.of(
                new Change(VolumePath.of("a"), new Entry.File(a.length, 0644, 0, List.of(RunningService.idOf(a)))),
                new Change(VolumePath.of("b"), new Entry.File(b.length, 0644, 0, List.of(RunningService.idOf(b)))));
        assertThatThrownBy(() -> client.commit(name, new CommitProposal(0, "v", "m", changes)))
                .isInstanceOfSatisfying(MissingChunksException.class, e -> assertThat(e.chunks()).containsExactly(RunningService.idOf(b)));
        assertThat(client.commit(name, new CommitProposal(0, "v2", "m", changes.subList(0, 1))).seq()).isEqualTo(1);
    }

    @Test
    void aRerunAfterAPartialUploadIsOfferedOnlyWhatIsStillMissing() {
        HttpVolumeService client = service.client();
        VolumeName name = VolumeName.of("rerun");
        client.createVolumeIfMissing(name);
        byte[] a = bytes("first chunk");
        byte[] b = bytes("second chunk");
        List<ChunkSpec> specs = List.of(new ChunkSpec(RunningService.idOf(a), a.length), new ChunkSpec(RunningService.idOf(b), b.length));
        UploadPlan plan = client.planUploads(name, specs);
        assertThat(plan.uploads()).hasSize(2);
        PresignedUrl urlA = plan.uploads().stream().filter(u -> u.id().equals(RunningService.idOf(a))).findFirst().orElseThrow();
        assertThat(service.put(urlA, a)).isEqualTo(200);
        // The upload of b never happens (the guest died): the commit fails naming b alone.
        List<Change> changes = List.of(
                new Change(VolumePath.of("a"), new Entry.File(a.length, 0644, 0, List.of(RunningService.idOf(a)))),
                new Change(VolumePath.of("b"), new Entry.File(b.length, 0644, 0, List.of(RunningService.idOf(b)))));
        assertThatThrownBy(() -> client.commit(name, new CommitProposal(0, "r", "m", changes)))
                .isInstanceOfSatisfying(MissingChunksException.class, e -> assertThat(e.chunks()).containsExactly(RunningService.idOf(b)));

        UploadPlan again = client.planUploads(name, specs);

        assertThat(again.present()).containsExactly(RunningService.idOf(a));
        assertThat(again.uploads()).extracting(PresignedUrl::id).containsExactly(RunningService.idOf(b));
        assertThat(service.put(again.uploads().getFirst(), b)).isEqualTo(200);
        assertThat(client.commit(name, new CommitProposal(0, "r", "m", changes)).seq()).isEqualTo(1);
    }

    @Test
    void retryWithTheSameKeyReplaysAndADifferentBodyIsRefused() {
        HttpVolumeService client = service.client();
        VolumeName name = VolumeName.of("idem");
        client.createVolumeIfMissing(name);
        CommitProposal proposal = new CommitProposal(0, "key-1", "m", List.of(new Change(VolumePath.of("a"), new Entry.Symlink("x", 1))));
        CommitResult first = client.commit(name, proposal);
        CommitResult again = client.commit(name, proposal);

        assertThat(first.replayed()).isFalse();
        assertThat(again.replayed()).isTrue();
        assertThat(again.commit()).isEqualTo(first.commit());
        assertThat(again.seq()).isEqualTo(first.seq());
        assertThat(client.findVolume(name)).map(VolumeInfo::headSeq).contains(1L);

        CommitProposal other = new CommitProposal(0, "key-1", "m", List.of(new Change(VolumePath.of("a"), new Entry.Symlink("y", 1))));
        assertThatThrownBy(() -> client.commit(name, other))
                .isInstanceOfSatisfying(VolumeServiceException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.code()).isEqualTo("idempotency_conflict");
                    assertThat(e.getMessage()).contains("idempotency key 'key-1' was used for a different commit");
                });
        assertThat(client.findVolume(name)).map(VolumeInfo::headSeq).contains(1L);
    }

    @Test
    void baseAheadOfTheHeadIsRefused() {
        HttpVolumeService client = service.client();
        VolumeName name = VolumeName.of("stale");
        client.createVolumeIfMissing(name);
        assertThatThrownBy(() -> client.commit(name, new CommitProposal(5, "k", "m", List.of())))
                .isInstanceOfSatisfying(VolumeServiceException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.code()).isEqualTo("stale_base");
                    assertThat(e.getMessage()).contains("on base 5: the head is at 0");
                });
    }

    @Test
    void sixteenConcurrentCommittersMergePerPath() throws Exception {
        VolumeName name = VolumeName.of("busy");
        service.client().createVolumeIfMissing(name);
        List<Callable<CommitResult>> tasks = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int n = i;
            HttpVolumeService client = service.client();
            tasks.add(() -> client.commit(name, new CommitProposal(0, "w" + n, "mount-" + n, List.of(
                    new Change(VolumePath.of("own/t" + n), new Entry.Symlink("mine-" + n, n)),
                    new Change(VolumePath.of("shared/x"), new Entry.Symlink("from-" + n, n))))));
        }
        List<CommitResult> results = new ArrayList<>();
        try (ExecutorService executor = Executors.newFixedThreadPool(16)) {
            for (Future<CommitResult> f : executor.invokeAll(tasks)) {
                results.add(f.get());
            }
        }
        HttpVolumeService client = service.client();
        long head = client.findVolume(name).orElseThrow().headSeq();
        assertThat(head).isEqualTo(16);
        assertThat(results).extracting(CommitResult::seq).containsExactlyInAnyOrder(
                1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L, 16L);
        for (int i = 0; i < 16; i++) {
            assertThat(client.stat(name, VolumePath.of("own/t" + i), head)).map(Versioned::entry)
                    .as("different paths all survive").contains(new Entry.Symlink("mine-" + i, i));
        }
        results.sort(Comparator.comparingLong(CommitResult::seq));
        CommitResult last = results.getLast();
        int lastWriter = indexOf(results, last, tasks.size());
        assertThat(client.stat(name, VolumePath.of("shared/x"), head)).map(v -> ((Entry.Symlink) v.entry()).target())
                .as("the same path ends as the last accepted commit").contains("from-" + lastWriter);
        assertThat(results.getFirst().overwritten()).as("the first writer overwrote nothing").isEmpty();
        for (CommitResult later : results.subList(1, results.size())) {
            assertThat(later.overwritten()).as("each later writer reports exactly the shared path")
                    .containsExactly(VolumePath.of("shared/x"));
        }
    }

    /** Which writer made {@code result}: the commit's own symlink target at its sequence says so. */
    private static int indexOf(List<CommitResult> results, CommitResult result, int writers) {
        HttpVolumeService client = service.client();
        for (int i = 0; i < writers; i++) {
            Versioned own = client.stat(VolumeName.of("busy"), VolumePath.of("own/t" + i), result.seq()).orElse(null);
            if (own != null && own.seq() == result.seq()) {
                return i;
            }
        }
        throw new AssertionError("No writer owns commit " + result.seq() + " of " + results.size());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
