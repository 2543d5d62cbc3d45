package dev.sail.volumes.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.ChunkTransfer;
import dev.sail.volumes.client.CommitResult;
import dev.sail.volumes.client.HttpChunkTransfer;
import dev.sail.volumes.client.Page;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.client.VolumeInfo;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The service through the real client, end to end: plan, upload to S3, commit, read, download. */
class ServiceFixtureIT {
    private static final ChunkLayout SMALL = new ChunkLayout(4096, 1 << 20, 65536);

    @Test
    void commitsThroughTheRealClientAndReadsBack() throws Exception {
        try (ServiceFixture service = ServiceFixture.builder().chunkLayout(SMALL).start()) {
            VolumeService client = service.client();
            HttpChunkTransfer transfer = service.transfer();
            VolumeName name = VolumeName.of("e2e");
            VolumeInfo info = client.createVolumeIfMissing(name);
            assertThat(info.headSeq()).isZero();
            assertThat(info.chunkLayout()).isEqualTo(SMALL);

            byte[] data = new byte[10_000];
            new Random(7).nextBytes(data);
            List<ChunkId> ids = new ArrayList<>();
            List<ChunkSpec> specs = new ArrayList<>();
            for (var range : SMALL.ranges(data.length)) {
                byte[] chunk = slice(data, range.offset(), range.length());
                ChunkId id = ChunkId.ofDigest(MessageDigest.getInstance("SHA-256").digest(chunk));
                ids.add(id);
                specs.add(new ChunkSpec(id, chunk.length));
            }
            UploadPlan plan = client.planUploads(name, specs);
            assertThat(plan.uploads()).hasSize(3);
            assertThat(plan.present()).isEmpty();
            List<ChunkTransfer.Upload> uploads = new ArrayList<>();
            for (PresignedUrl url : plan.uploads()) {
                int index = ids.indexOf(url.id());
                var range = SMALL.range(index, data.length);
                uploads.add(new ChunkTransfer.Upload(url, range.length(),
                        () -> ByteBuffer.wrap(slice(data, range.offset(), range.length()))));
            }
            service.s3().resetCounters();
            transfer.uploadAll(uploads, (id, bytes) -> { });
            assertThat(service.s3().counters().bytesPut()).isEqualTo(data.length);

            Entry.File file = new Entry.File(data.length, 0644, 1L, ids);
            CommitResult result = client.commit(name, new CommitProposal(0, "k1", "m1",
                    List.of(new Change(VolumePath.of("dir/data.bin"), file))));
            assertThat(result.seq()).isEqualTo(1);
            assertThat(result.replayed()).isFalse();

            assertThat(client.stat(name, VolumePath.of("dir/data.bin"), 1)).map(Versioned::entry).contains(file);
            Page<Versioned> root = client.list(name, VolumePath.ROOT, 1, null, 10);
            assertThat(root.items()).extracting(v -> v.path().value()).containsExactly("dir");
            Page<Versioned> delta = client.delta(name, 0, 1, null, 10);
            assertThat(delta.items()).extracting(v -> v.path().value()).containsExactly("dir", "dir/data.bin");

            List<PresignedUrl> downloads = client.downloadUrls(name, ids);
            ByteBuffer first = transfer.download(downloads.getFirst());
            assertThat(toArray(first)).isEqualTo(slice(data, 0, 4096));

            UploadPlan again = client.planUploads(name, specs);
            assertThat(again.uploads()).isEmpty();
            assertThat(again.present()).containsExactlyInAnyOrderElementsOf(ids);
        }
    }

    @Test
    void keepsCommitsAcrossARestart() {
        try (ServiceFixture service = ServiceFixture.start()) {
            VolumeName name = VolumeName.of("durable");
            service.client().createVolumeIfMissing(name);
            service.client().commit(name, new CommitProposal(0, "k", "m",
                    List.of(new Change(VolumePath.of("a"), new Entry.Symlink("b", 5)))));
            service.restart();
            assertThat(service.client().stat(name, VolumePath.of("a"), 1)).map(Versioned::entry)
                    .contains(new Entry.Symlink("b", 5));
            assertThat(service.client().findVolume(name)).map(VolumeInfo::headSeq).contains(1L);
        }
    }

    private static byte[] slice(byte[] data, long offset, long length) {
        byte[] out = new byte[(int) length];
        System.arraycopy(data, (int) offset, out, 0, (int) length);
        return out;
    }

    private static byte[] toArray(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        return out;
    }
}
