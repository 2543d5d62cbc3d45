package dev.sail.volumes.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.VolumeName;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Error mapping and retries of the HTTP client, against a scripted server on 127.0.0.1. */
class HttpVolumeServiceTest {
    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile int unavailableFirst;
    private volatile int status = 200;
    private volatile String body = "{}";
    private volatile String authorization;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            authorization = exchange.getRequestHeaders().getFirst("Authorization");
            exchange.getRequestBody().readAllBytes();
            int n = requests.incrementAndGet();
            int code = n <= unavailableFirst ? 503 : status;
            byte[] bytes = (n <= unavailableFirst ? "{\"error\":{\"code\":\"unavailable\",\"message\":\"busy\"}}" : body)
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(code, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private HttpVolumeService client() {
        return new HttpVolumeService(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), "sk_test");
    }

    @Test
    void retriesAReadThroughBriefUnavailability() {
        unavailableFirst = 2;
        body = "{\"volumes\":[]}";
        try (HttpVolumeService client = client()) {
            assertThat(client.listVolumes()).isEmpty();
        }
        assertThat(requests.get()).isEqualTo(3);
        assertThat(authorization).isEqualTo("Bearer sk_test");
    }

    @Test
    void reportsLastingUnavailability() {
        unavailableFirst = 100;
        try (HttpVolumeService client = client()) {
            assertThatThrownBy(client::listVolumes).isInstanceOf(ServiceUnavailableException.class).hasMessage("busy");
        }
        assertThat(requests.get()).isEqualTo(4);
    }

    @Test
    void aStorageOutageKeepsTheServicesCodeAfterRetries() {
        status = 503;
        body = "{\"error\":{\"code\":\"storage_unavailable\",\"message\":\"Cannot check chunk ab12 in S3 bucket 'b': refused\"}}";
        try (HttpVolumeService client = client()) {
            assertThatThrownBy(client::listVolumes).isInstanceOfSatisfying(ServiceUnavailableException.class, e -> {
                assertThat(e.status()).isEqualTo(503);
                assertThat(e.code()).isEqualTo("storage_unavailable");
                assertThat(e.getMessage()).isEqualTo("Cannot check chunk ab12 in S3 bucket 'b': refused");
            });
        }
        assertThat(requests.get()).isEqualTo(4);
    }

    @Test
    void mapsErrorBodiesToCodesAndMessages() {
        status = 409;
        body = "{\"error\":{\"code\":\"stale_base\",\"message\":\"Cannot commit to volume 'v' on base 5: the head is at 0\"}}";
        try (HttpVolumeService client = client()) {
            assertThatThrownBy(() -> client.commit(VolumeName.of("v"), new CommitProposal(5, "k", "m", List.of())))
                    .isInstanceOfSatisfying(VolumeServiceException.class, e -> {
                        assertThat(e.status()).isEqualTo(409);
                        assertThat(e.code()).isEqualTo("stale_base");
                    })
                    .hasMessage("Cannot commit to volume 'v' on base 5: the head is at 0");
        }
        assertThat(requests.get()).as("a refusal is not retried").isEqualTo(1);
    }

    @Test
    void namesTheMissingChunks() {
        String hex = "ab".repeat(32);
        status = 409;
        body = "{\"error\":{\"code\":\"missing_chunks\",\"message\":\"1 chunk missing\",\"chunks\":[\"" + hex + "\"]}}";
        try (HttpVolumeService client = client()) {
            assertThatThrownBy(() -> client.commit(VolumeName.of("v"), new CommitProposal(0, "k", "m", List.of())))
                    .isInstanceOfSatisfying(MissingChunksException.class,
                            e -> assertThat(e.chunks()).containsExactly(ChunkId.ofHex(hex)));
        }
    }

    @Test
    void answersEmptyForAMissingVolumeButThrowsForOtherNotFounds() {
        status = 404;
        body = "{\"error\":{\"code\":\"volume_not_found\",\"message\":\"Volume 'v' does not exist\"}}";
        try (HttpVolumeService client = client()) {
            assertThat(client.findVolume(VolumeName.of("v"))).isEmpty();
        }
    }

    @Test
    void reportsAServiceThatIsNotThere() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (HttpVolumeService client = new HttpVolumeService(URI.create("http://127.0.0.1:" + port), "sk")) {
            assertThatThrownBy(client::listVolumes)
                    .isInstanceOfSatisfying(ServiceUnavailableException.class, e -> assertThat(e.status()).isZero())
                    .hasMessageStartingWith("Volume service at http://127.0.0.1:" + port + " unreachable for GET /v1/volumes");
        }
    }
}
