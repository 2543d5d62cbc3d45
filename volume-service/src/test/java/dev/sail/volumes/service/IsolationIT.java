package dev.sail.volumes.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.HttpVolumeService;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.client.VolumeInfo;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IsolationIT {
    @TempDir
    Path data;

    @Test
    void anotherOrgsVolumesAreInvisible() {
        try (RunningService service = new RunningService(data)) {
            HttpVolumeService a = service.client();
            VolumeName name = VolumeName.of("private");
            a.createVolumeIfMissing(name);
            byte[] secret = "org a's bytes".getBytes(StandardCharsets.UTF_8);
            Entry.File file = service.upload(name, secret);
            a.commit(name, new CommitProposal(0, "k", "m", List.of(new Change(VolumePath.of("f"), file))));

            RunningService.Response created = service.call("POST", "/v1/admin/orgs", service.server.adminKey(), "{\"name\":\"org-b\"}");
            assertThat(created.status()).isEqualTo(201);
            HttpVolumeService b = service.client(created.body().path("apiKey").asText());

            assertThat(b.listVolumes()).isEmpty();
            assertThat(b.findVolume(name)).isEmpty();
            assertNotFound(() -> b.stat(name, VolumePath.of("f"), 1));
            assertNotFound(() -> b.list(name, VolumePath.ROOT, 1, null, 10));
            assertNotFound(() -> b.delta(name, 0, 1, null, 10));
            assertNotFound(() -> b.commit(name, new CommitProposal(0, "k2", "m", List.of(new Change(VolumePath.of("g"), file)))));
            assertNotFound(() -> b.downloadUrls(name, file.chunks()));
            assertNotFound(() -> b.planUploads(name, List.of(new ChunkSpec(file.chunks().getFirst(), secret.length))));
            assertNotFound(() -> b.deleteVolume(name));

            // The same name in org B is another volume; deduplication does not cross orgs.
            VolumeInfo bs = b.createVolumeIfMissing(name);
            assertThat(bs.headSeq()).isZero();
            assertThat(bs.id()).isNotEqualTo(a.findVolume(name).orElseThrow().id());
            UploadPlan plan = b.planUploads(name, List.of(new ChunkSpec(file.chunks().getFirst(), secret.length)));
            assertThat(plan.uploads()).hasSize(1);
            assertThat(plan.present()).isEmpty();
            assertThatThrownBy(() -> b.downloadUrls(name, file.chunks()))
                    .isInstanceOfSatisfying(VolumeServiceException.class, e -> assertThat(e.code()).isEqualTo("unknown_chunk"));
            assertThat(a.listVolumes()).extracting(VolumeInfo::headSeq).containsExactly(1L);
        }
    }

    private static void assertNotFound(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(VolumeServiceException.class, e -> {
            assertThat(e.status()).isEqualTo(404);
            assertThat(e.code()).isEqualTo("volume_not_found");
            assertThat(e.getMessage()).isEqualTo("Volume 'private' does not exist");
        });
    }
}
