package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.client.Volume;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.testkit.S3ServerFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Semantic 9: chunk bytes travel only between guest and S3 through short-lived presigned URLs scoped to
 * exact chunk keys; service requests carry metadata only.
 */
class DataPathIT extends AcceptanceBase {

    @Test
    void semantic9_chunkBytesTravelOnlyBetweenTheGuestAndS3() throws Exception {
        // The service of this suite refuses any request body over 1 MiB: an 8 MiB chunk could not pass through it.
        String volume = uniqueVolume("datapath");
        Sailbox a = mounted("a", volume);
        Sailbox b = mounted("b", volume);
        byte[] data = bytes(24 * MIB, 9);
        write(a.path("large.bin"), data);
        S3ServerFixture.Counters before = s3().counters();
        ServiceMetrics metricsBefore = metrics();

        a.volume().commit();
        b.volume().reload();
        assertThat(Files.readAllBytes(b.path("large.bin"))).isEqualTo(data);

        S3ServerFixture.Counters after = s3().counters();
        assertThat(after.bytesPut() - before.bytesPut()).as("bytes the guest sent to S3").isEqualTo(data.length);
        assertThat(after.bytesGot() - before.bytesGot()).as("bytes the other guest fetched from S3").isEqualTo(data.length);
        assertThat(data.length).as("larger than any body the service accepts").isGreaterThan((int) SERVICE_MAX_BODY);
        ServiceMetrics during = metrics().since(metricsBefore);
        assertThat(during.requests("status=\"413\"")).as("requests the service refused as too large").isZero();
        assertThat(during.sum("sail_commit_bytes_referenced_bytes_total")).as("the service only counts the bytes it references")
                .isEqualTo(data.length);
    }

    @Test
    void semantic9_presignedUrlsAreShortLivedAndScopedToExactChunkKeys() throws Exception {
        String volume = uniqueVolume("presign");
        Volume.get(service.client(), volume, true);
        byte[] bytes = "exact bytes".getBytes();
        ChunkId id = ChunkId.ofDigest(MessageDigest.getInstance("SHA-256").digest(bytes));

        UploadPlan plan = service.client().planUploads(VolumeName.of(volume), List.of(new ChunkSpec(id, bytes.length)));

        PresignedUrl url = plan.uploads().getFirst();
        assertThat(url.url().getPath()).as("one exact key, named by the chunk's hash")
                .matches("/[^/]+/orgs/[^/]+/chunks/" + id.toString().substring(0, 2) + "/" + id);
        Matcher expires = Pattern.compile("X-Amz-Expires=(\\d+)").matcher(url.url().getQuery());
        assertThat(expires.find()).isTrue();
        assertThat(Long.parseLong(expires.group(1))).as("lifetime in seconds").isPositive().isLessThanOrEqualTo(600);
        try (HttpClient http = HttpClient.newHttpClient()) {
            assertThat(put(http, url, "other bytes".getBytes())).as("S3 refuses bytes that are not the named chunk").isEqualTo(400);
            URI otherKey = URI.create(url.url().toString().replace(id.toString(), "0".repeat(64)));
            assertThat(put(http, new PresignedUrl(id, otherKey, url.headers()), bytes)).as("the signature covers the key").isEqualTo(403);
            assertThat(put(http, url, bytes)).isEqualTo(200);
        }
    }

    private static int put(HttpClient http, PresignedUrl url, byte[] body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(url.url()).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        url.headers().forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
