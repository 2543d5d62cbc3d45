package dev.sail.volumes.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.HttpVolumeService;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.manifest.VolumeName;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** S3 itself refuses presigned URLs used after expiry, for another key, or with other bytes. */
class PresignIT {
    @TempDir
    Path data;

    @Test
    void s3RefusesMisusedPresignedUrls() {
        try (RunningService service = new RunningService(data, ServiceConfig.defaults(data).withPresignExpiry(Duration.ofSeconds(2)))) {
            HttpVolumeService client = service.client();
            VolumeName name = VolumeName.of("v");
            client.createVolumeIfMissing(name);
            byte[] a = "chunk a".getBytes(StandardCharsets.UTF_8);
            byte[] b = "chunk b".getBytes(StandardCharsets.UTF_8);
            byte[] c = "chunk c".getBytes(StandardCharsets.UTF_8);
            ChunkId idA = RunningService.idOf(a);
            ChunkId idB = RunningService.idOf(b);
            UploadPlan plan = client.planUploads(name, List.of(new ChunkSpec(idA, a.length), new ChunkSpec(idB, b.length),
                    new ChunkSpec(RunningService.idOf(c), c.length)));
            Instant issued = Instant.now();
            PresignedUrl urlA = url(plan, idA);
            PresignedUrl urlB = url(plan, idB);

            assertThat(urlA.headers()).containsKey("x-amz-checksum-sha256");
            assertThat(service.put(urlA, b)).as("other bytes than the URL's chunk").isEqualTo(400);
            PresignedUrl aForB = new PresignedUrl(idB, URI.create(urlA.url().toString().replace(idA.toString(), idB.toString())),
                    urlB.headers());
            assertThat(service.put(aForB, b)).as("a URL used for another key").isEqualTo(403);
            assertThat(service.put(urlA, a)).as("the URL as issued").isEqualTo(200);

            PresignedUrl urlC = url(plan, RunningService.idOf(c));
            await().atMost(Duration.ofSeconds(10)).until(() -> Instant.now().isAfter(issued.plusSeconds(3)));
            assertThat(service.put(urlC, c)).as("an expired URL").isEqualTo(403);
        }
    }

    private static PresignedUrl url(UploadPlan plan, ChunkId id) {
        return plan.uploads().stream().filter(u -> u.id().equals(id)).findFirst().orElseThrow();
    }
}
