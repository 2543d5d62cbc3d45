package dev.sail.volumes.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.testkit.FaultyS3Proxy.Fault;
import dev.sail.volumes.testkit.FaultyS3Proxy.Rule;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The proxy forwards signed requests untouched, applies a rule exactly its count of times, and the fixture restarts on its port. */
class FaultyS3ProxyIT {
    @Test
    void forwardsSignedRequestsAndInjectsFaultsByCount() throws Exception {
        try (ServiceFixture service = ServiceFixture.builder().withFaultyS3().start();
             HttpClient http = HttpClient.newHttpClient()) {
            VolumeService client = service.client();
            VolumeName volume = VolumeName.of("proxied");
            client.createVolumeIfMissing(volume);
            byte[] bytes = "through the proxy".getBytes();
            ChunkId id = ChunkHasher.hash(bytes);
            PresignedUrl url = client.planUploads(volume, List.of(new ChunkSpec(id, bytes.length))).uploads().getFirst();
            assertThat(url.url().getPort()).as("presigned URLs point at the proxy").isEqualTo(service.faults().endpoint().getPort());
            service.faults().inject(Rule.on("PUT", Fault.SLOW_DOWN).times(1));

            HttpResponse<String> first = put(http, url, bytes);
            HttpResponse<String> second = put(http, url, bytes);

            assertThat(first.statusCode()).isEqualTo(503);
            assertThat(first.body()).contains("<Code>SlowDown</Code>");
            assertThat(second.statusCode()).as("the signature verifies behind the proxy: %s", second.body()).isEqualTo(200);
            assertThat(service.faults().injected(Fault.SLOW_DOWN)).isEqualTo(1);
            assertThat(service.faults().requests("PUT")).isEqualTo(2);
            assertThat(service.s3().counters().putRequests()).as("S3 saw only the forwarded PUT").isEqualTo(1);
        }
    }

    @Test
    void restartOnSamePortKeepsClientsWorking() {
        try (ServiceFixture service = ServiceFixture.start()) {
            VolumeService client = service.client();
            client.createVolumeIfMissing(VolumeName.of("kept"));
            int port = service.baseUrl().getPort();

            service.restartOnSamePort();

            assertThat(service.baseUrl().getPort()).isEqualTo(port);
            assertThat(client.findVolume(VolumeName.of("kept"))).as("the old client finds the data again").isPresent();
        }
    }

    private static HttpResponse<String> put(HttpClient http, PresignedUrl url, byte[] bytes) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(url.url()).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes));
        url.headers().forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
