package dev.sail.volumes.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.chunking.PackId;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.ManifestException;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import dev.sail.volumes.manifest.WireCodec;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;

/**
 * {@link VolumeService} over the service's HTTP/JSON API ({@code docs/api.md}) with
 * {@link java.net.http.HttpClient}. Requests that are safe to repeat (reads, upload and download
 * negotiation, get-or-create, and commits, which carry an idempotency key) are retried when the
 * service cannot be reached or answers 502-504 (a few quick attempts: a service or a storage that
 * is not there fails fast), and when it drops a connection mid-request (an overloaded service:
 * retried for up to {@link #RETRY_BUDGET}, so that a slow service does not fail a mount's
 * metadata operation).
 * Thread-safe; {@link #close()} releases the client.
 */
public final class HttpVolumeService implements VolumeService, AutoCloseable {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int ATTEMPTS = 4;
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(1);
    /** How long a dropped connection is retried (at least {@link #ATTEMPTS} attempts). */
    static final Duration RETRY_BUDGET = Duration.ofSeconds(15);

    private final URI baseUrl;
    private final String apiKey;
    private final HttpClient http;
    private final Duration requestTimeout;

    /** A client for the service at {@code baseUrl} (e.g. {@code http://127.0.0.1:7400}) acting with {@code apiKey}. */
    public HttpVolumeService(URI baseUrl, String apiKey) {
        this(baseUrl, apiKey, Duration.ofSeconds(120));
    }

    public HttpVolumeService(URI baseUrl, String apiKey, Duration requestTimeout) {
        Objects.requireNonNull(baseUrl, "baseUrl");
        String base = baseUrl.toString();
        this.baseUrl = URI.create(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
        this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    @Override
    public List<VolumeInfo> listVolumes() {
        JsonNode answer = send("GET", "/v1/volumes", null, Retry.YES);
        List<VolumeInfo> volumes = new ArrayList<>();
        for (JsonNode v : answer.path("volumes")) {
            volumes.add(volumeInfo(v));
        }
        return volumes;
    }

    @Override
    public Optional<VolumeInfo> findVolume(VolumeName name) {
        try {
            return Optional.of(volumeInfo(send("GET", volumePath(name), null, Retry.YES)));
        } catch (VolumeServiceException e) {
            if (e.status() == 404 && e.code().equals("volume_not_found")) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public VolumeInfo createVolumeIfMissing(VolumeName name) {
        return volumeInfo(send("PUT", volumePath(name) + "?mintIfMissing=true", null, Retry.YES));
    }

    @Override
    public void deleteVolume(VolumeName name) {
        send("DELETE", volumePath(name), null, Retry.NO);
    }

    @Override
    public Optional<Versioned> stat(VolumeName volume, VolumePath path, long atSeq) {
        try {
            JsonNode answer = send("GET", volumePath(volume) + "/stat" + query("path", path.value(), "at", Long.toString(atSeq)),
                    null, Retry.YES);
            return Optional.of(WireCodec.versioned(answer.get("version")));
        } catch (VolumeServiceException e) {
            if (e.status() == 404 && e.code().equals("not_found")) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public Page<Versioned> list(VolumeName volume, VolumePath directory, long atSeq, String after, int limit) {
        JsonNode answer = send("GET", volumePath(volume) + "/list" + query("path", directory.value(), "at", Long.toString(atSeq),
                "after", after, "limit", Integer.toString(limit)), null, Retry.YES);
        return page(answer, "entries");
    }

    @Override
    public Page<Versioned> delta(VolumeName volume, long fromSeq, long toSeq, String after, int limit) {
        JsonNode answer = send("GET", volumePath(volume) + "/delta" + query("from", Long.toString(fromSeq), "to", Long.toString(toSeq),
                "after", after, "limit", Integer.toString(limit)), null, Retry.YES);
        return page(answer, "changes");
    }

    /** {@code {"chunks":[{"id","size"}...]}}, each chunk once. */
    private static ObjectNode chunkList(Collection<ChunkSpec> chunks) {
        ObjectNode body = NODES.objectNode();
        ArrayNode list = body.putArray("chunks");
        Set<ChunkId> seen = new HashSet<>();
        for (ChunkSpec chunk : chunks) {
            if (seen.add(chunk.id())) {
                list.addObject().put("id", chunk.id().toString()).put("size", chunk.size());
            }
        }
        return body;
    }

    @Override
    public UploadPlan planUploads(VolumeName volume, Collection<ChunkSpec> chunks) {
        return plan(send("POST", volumePath(volume) + "/uploads", chunkList(chunks), Retry.YES));
    }

    private static UploadPlan plan(JsonNode answer) {
        List<PresignedUrl> uploads = new ArrayList<>();
        for (JsonNode upload : answer.path("uploads")) {
            uploads.add(presigned(upload));
        }
        return new UploadPlan(uploads, chunkIds(answer.path("present")), chunkIds(answer.path("packable")));
    }

    private static Set<ChunkId> chunkIds(JsonNode array) {
        Set<ChunkId> ids = new HashSet<>();
        for (JsonNode id : array) {
            ids.add(ChunkId.ofHex(id.asText()));
        }
        return ids;
    }

    @Override
    public UploadPlan planPackedUploads(VolumeName volume, Collection<ChunkSpec> chunks) {
        ObjectNode body = chunkList(chunks);
        body.put("packing", true);
        return plan(send("POST", volumePath(volume) + "/uploads", body, Retry.YES));
    }

    @Override
    public List<PackUpload> packUploads(VolumeName volume, List<PackSpec> packs) {
        ObjectNode body = NODES.objectNode();
        ArrayNode list = body.putArray("packs");
        for (PackSpec pack : packs) {
            ObjectNode node = list.addObject().put("id", pack.id().toString()).put("size", pack.size());
            ArrayNode members = node.putArray("chunks");
            pack.chunks().forEach(chunk -> members.addObject().put("id", chunk.id().toString()).put("size", chunk.size()));
        }
        JsonNode answer = send("POST", volumePath(volume) + "/packs", body, Retry.YES);
        List<PackUpload> uploads = new ArrayList<>();
        for (JsonNode node : answer.path("packs")) {
            PackId id = PackId.ofHex(node.path("id").asText());
            if (node.path("present").asBoolean(false)) {
                uploads.add(new PackUpload(id, Optional.empty()));
            } else {
                uploads.add(new PackUpload(id, Optional.of(presigned(id.hash(), node))));
            }
        }
        return uploads;
    }

    @Override
    public Set<ChunkId> verifyUploads(VolumeName volume, Collection<ChunkSpec> chunks) {
        return verifyUploads(volume, chunks, List.of());
    }

    @Override
    public Set<ChunkId> verifyUploads(VolumeName volume, Collection<ChunkSpec> chunks, Collection<PackSpec> packs) {
        ObjectNode body = chunkList(chunks);
        if (!packs.isEmpty()) {
            ArrayNode list = body.putArray("packs");
            packs.forEach(pack -> list.addObject().put("id", pack.id().toString()).put("size", pack.size()));
        }
        JsonNode answer = send("POST", volumePath(volume) + "/uploads/verify", body, Retry.YES);
        Set<ChunkId> verified = new HashSet<>();
        for (JsonNode id : answer.path("verified")) {
            verified.add(ChunkId.ofHex(id.asText()));
        }
        return verified;
    }

    @Override
    public CommitResult commit(VolumeName volume, CommitProposal proposal) {
        // Safe to retry: the idempotency key makes the service apply it once and replay the answer.
        JsonNode answer = send("POST", volumePath(volume) + "/commits", WireCodec.proposalNode(proposal), Retry.YES);
        List<VolumePath> overwritten = new ArrayList<>();
        for (JsonNode path : answer.path("overwritten")) {
            overwritten.add(VolumePath.of(path.asText()));
        }
        return new CommitResult(answer.path("commit").asText(), answer.path("seq").asLong(), overwritten,
                answer.path("applied").asInt(), answer.path("replayed").asBoolean());
    }

    @Override
    public List<PresignedUrl> downloadUrls(VolumeName volume, Collection<ChunkId> chunks) {
        ObjectNode body = NODES.objectNode();
        ArrayNode list = body.putArray("chunks");
        new java.util.LinkedHashSet<>(chunks).forEach(id -> list.add(id.toString()));
        JsonNode answer = send("POST", volumePath(volume) + "/downloads", body, Retry.YES);
        List<PresignedUrl> urls = new ArrayList<>();
        for (JsonNode download : answer.path("downloads")) {
            urls.add(presigned(download));
        }
        return urls;
    }

    @Override
    public void close() {
        http.close();
    }

    @Override
    public String toString() {
        return "HttpVolumeService[" + baseUrl + "]";
    }

    // ---- plumbing ---------------------------------------------------------------------------

    private enum Retry { YES, NO }

    private JsonNode send(String method, String pathAndQuery, JsonNode body, Retry retry) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery))
                .timeout(requestTimeout)
                .header("Authorization", "Bearer " + apiKey)
                .header("Accept", "application/json");
        if (body != null) {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(WireCodec.bytes(body)));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        String what = method + " " + pathAndQuery.split("\\?", 2)[0];
        int attempts = retry == Retry.YES ? ATTEMPTS : 1;
        long deadline = System.nanoTime() + RETRY_BUDGET.toNanos();
        Duration backoff = FIRST_BACKOFF;
        for (int attempt = 1; ; attempt++) {
            boolean retryDropped = retry == Retry.YES && (attempt < attempts || System.nanoTime() - deadline < 0);
            try {
                HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return response.body().length == 0 ? NODES.objectNode() : WireCodec.parse(response.body());
                }
                if ((status == 502 || status == 503 || status == 504) && attempt < attempts) {
                    backoff = pause(backoff);
                    continue;
                }
                throw refusal(what, status, response.body());
            } catch (HttpTimeoutException | ConnectException e) {
                if (attempt >= attempts) {
                    throw new ServiceUnavailableException("Volume service at " + baseUrl + " unreachable for " + what + ": " + e, e);
                }
                backoff = pause(backoff);
            } catch (IOException e) {
                if (!retryDropped) {
                    throw new ServiceUnavailableException("Volume service at " + baseUrl + " failed " + what
                            + " (after " + attempt + " attempt(s)): " + e, e);
                }
                backoff = pause(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ServiceUnavailableException("Interrupted during " + what, e);
            }
        }
    }

    private static Duration pause(Duration backoff) {
        try {
            // Backoff between retries of an idempotent request: an overloaded or restarting service needs time, not more load.
            Thread.sleep(backoff);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceUnavailableException("Interrupted while waiting to retry", e);
        }
        Duration next = backoff.multipliedBy(2);
        return next.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : next;
    }

    private VolumeServiceException refusal(String what, int status, byte[] body) {
        String code = "http_" + status;
        String message = what + " answered HTTP " + status;
        JsonNode chunks = null;
        try {
            JsonNode error = WireCodec.parse(body).path("error");
            if (error.isObject()) {
                code = error.path("code").asText(code);
                message = error.path("message").asText(message);
                chunks = error.get("chunks");
            }
        } catch (ManifestException e) {
            // Not our JSON (a proxy's error page): keep the status line.
        }
        if (code.equals("missing_chunks") && chunks != null) {
            List<ChunkId> ids = new ArrayList<>();
            chunks.forEach(id -> ids.add(ChunkId.ofHex(id.asText())));
            return new MissingChunksException(message, ids);
        }
        if (status == 502 || status == 503 || status == 504) {
            // Keep the service's code: "storage_unavailable" (S3 is down) is not "unreachable".
            return new ServiceUnavailableException(status, code, message);
        }
        return new VolumeServiceException(status, code, message);
    }

    private static String volumePath(VolumeName name) {
        return "/v1/volumes/" + name.value();
    }

    /** {@code ?k=v&...} for the pairs whose value is not null. */
    private static String query(String... pairs) {
        StringJoiner joiner = new StringJoiner("&", "?", "");
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i + 1] != null) {
                joiner.add(pairs[i] + "=" + URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
            }
        }
        return joiner.toString();
    }

    private static Page<Versioned> page(JsonNode answer, String field) {
        List<Versioned> items = new ArrayList<>();
        for (JsonNode v : answer.path(field)) {
            items.add(WireCodec.versioned(v));
        }
        JsonNode next = answer.get("next");
        return new Page<>(items, next == null || next.isNull() ? Optional.empty() : Optional.of(next.asText()));
    }

    private static VolumeInfo volumeInfo(JsonNode v) {
        JsonNode layout = v.path("chunkLayout");
        return new VolumeInfo(VolumeName.of(v.path("name").asText()), v.path("id").asText(), v.path("headSeq").asLong(),
                v.path("headCommit").asText(), Instant.parse(v.path("createdAt").asText()),
                new ChunkLayout(layout.path("smallChunk").asInt(), layout.path("largeFrom").asLong(), layout.path("largeChunk").asInt()));
    }

    private static PresignedUrl presigned(JsonNode node) {
        return presigned(ChunkId.ofHex(node.path("id").asText()), node);
    }

    /** The URL and headers of {@code node}, for bytes that must hash to {@code sha256}. */
    private static PresignedUrl presigned(ChunkId sha256, JsonNode node) {
        Map<String, String> headers = new HashMap<>();
        node.path("headers").properties().forEach(e -> headers.put(e.getKey(), e.getValue().asText()));
        return new PresignedUrl(sha256, URI.create(node.path("url").asText()), headers);
    }
}
