package dev.sail.volumes.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.HttpVolumeService;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.WireCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The real service on a temp data dir with its embedded S3, plus raw HTTP helpers for tests. */
final class RunningService implements AutoCloseable {
    static final ChunkLayout SMALL = new ChunkLayout(4096, 1 << 20, 65536);

    final Path dataDir;
    final ServiceConfig config;
    VolumeServer server;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<HttpVolumeService> clients = new ArrayList<>();

    RunningService(Path dataDir) {
        this(dataDir, ServiceConfig.defaults(dataDir));
    }

    RunningService(Path dataDir, ServiceConfig base) {
        this.dataDir = dataDir;
        this.config = base.withPort(0).withChunkLayout(SMALL).withGc(Duration.ZERO, Duration.ZERO);
        this.server = VolumeServer.start(config);
    }

    void restart() {
        server.close();
        server = VolumeServer.start(config);
    }

    String key() {
        return server.defaultOrgKey();
    }

    HttpVolumeService client() {
        return client(key());
    }

    HttpVolumeService client(String key) {
        HttpVolumeService client = new HttpVolumeService(server.baseUrl(), key);
        clients.add(client);
        return client;
    }

    record Response(int status, JsonNode body) {
        String code() {
            return body.path("error").path("code").asText();
        }

        String message() {
            return body.path("error").path("message").asText();
        }
    }

    Response call(String method, String path, String key, String body) {
        return call(method, path, key, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    Response call(String method, String path, String key, byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode json = response.body().length == 0 ? WireCodec.mapper().createObjectNode() : WireCodec.parse(response.body());
            return new Response(response.statusCode(), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String text(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** PUTs raw bytes to a presigned URL with its headers; answers the HTTP status. */
    int put(PresignedUrl url, byte[] bytes) {
        HttpRequest.Builder request = HttpRequest.newBuilder(url.url()).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes));
        url.headers().forEach(request::header);
        return send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /**
     * Sends a raw request to S3. S3 closes a connection after refusing a request whose body it did not
     * read, which the pooled client may learn only when it reuses that connection: then the request is
     * sent once more, on a new one (what these tests check is S3's answer, not connection reuse).
     */
    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            try {
                return http.send(request, handler);
            } catch (IOException closedUnderUs) {
                return http.send(request, handler);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What a raw GET got. */
    record Got(int status, byte[] body) {
    }

    /** GETs a presigned URL with its headers, {@code replaced} put over them; answers the status and the body. */
    Got get(PresignedUrl url, Map<String, String> replaced) {
        Map<String, String> headers = new java.util.HashMap<>(url.headers());
        headers.putAll(replaced);
        HttpRequest.Builder request = HttpRequest.newBuilder(url.url()).GET();
        headers.forEach(request::header);
        HttpResponse<byte[]> response = send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Got(response.statusCode(), response.body());
    }

    /** A one-chunk file of {@code bytes}, uploaded through the service's plan. */
    Entry.File upload(dev.sail.volumes.manifest.VolumeName volume, byte[] bytes) {
        ChunkId id = ChunkId.ofDigest(sha256(bytes));
        UploadPlan plan = client().planUploads(volume, List.of(new ChunkSpec(id, bytes.length)));
        for (PresignedUrl url : plan.uploads()) {
            int status = put(url, bytes);
            if (status != 200) {
                throw new IllegalStateException("Upload answered " + status);
            }
        }
        return new Entry.File(bytes.length, 0644, 0, List.of(id));
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static ChunkId idOf(byte[] bytes) {
        return ChunkId.ofDigest(sha256(bytes));
    }

    @Override
    public void close() {
        clients.forEach(HttpVolumeService::close);
        http.close();
        server.close();
    }
}
