package dev.sail.volumes.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.CommitResult;
import dev.sail.volumes.client.HttpChunkTransfer;
import dev.sail.volumes.client.MissingChunksException;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.client.VolumeInfo;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.testkit.ServiceFixture;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Hostile input and org isolation against the real service, beyond volume-service's {@code BadInputIT}
 * (malformed JSON, unknown fields, absolute and {@code ..} paths, bad chunk ids, oversized bodies),
 * {@code IsolationIT} (another org's volumes invisible to list, read, commit, presign, delete) and
 * {@code PresignIT} (other bytes, other key, expired PUT). What holds: every bad request gets a precise
 * 4xx JSON error and changes nothing; chunks of another org can be neither used nor probed; presigned
 * URLs are bound to one method and expire; no log line carries a signature or a key; a chunk whose bytes
 * do not hash to its name is never handed to a reader as data.
 *
 * <p>The service runs with {@code s3.checksums=false} (a supported setting for back ends that refuse the
 * checksum header), the weakest configuration: S3 then accepts any bytes on a presigned PUT.
 */
class SecurityIT {
    private static final String HEX = "b".repeat(64);
    private static final String COMMITS = "/v1/volumes/target/commits";

    static ServiceFixture service;
    static RawApi raw;
    static VolumeService client;
    static HttpChunkTransfer transfer;
    static ClientCommits commits;
    static VolumeName target = VolumeName.of("target");
    static byte[] committed;

    @BeforeAll
    static void start() throws IOException {
        service = ServiceFixture.builder().chunkLayout(ClientCommits.SMALL).withoutChecksums()
                .maxBodyBytes(1 << 20).presignExpiry(Duration.ofSeconds(3)).start();
        raw = new RawApi(service.baseUrl());
        client = service.client();
        transfer = new HttpChunkTransfer(4, 2, Duration.ofMillis(10), Duration.ofSeconds(10));
        commits = new ClientCommits(client, transfer, ClientCommits.SMALL);
        client.createVolumeIfMissing(target);
        committed = random(5000, 1);
        commits.commit(target, 0, "first", Map.of(VolumePath.of("kept"), committed));
    }

    @AfterAll
    static void stop() {
        raw.close();
        transfer.close();
        service.close();
    }

    static Stream<Arguments> hostileRequests() {
        String deep = "[".repeat(10_000) + "]".repeat(10_000);
        StringBuilder manyChanges = new StringBuilder("{\"format\":1,\"baseSeq\":1,\"idempotencyKey\":\"many\",\"changes\":[");
        for (int i = 0; i < 40_000; i++) {
            manyChanges.append(i == 0 ? "" : ",").append("{\"path\":\"p").append(i).append("\",\"type\":\"deleted\"}");
        }
        manyChanges.append("]}");
        return Stream.of(
                Arguments.of("NUL in a path", "POST", COMMITS, commitWithPath("a\\u0000b"), 400, "invalid_path",
                        "Invalid path 'a\\0b': it contains a NUL character"),
                Arguments.of("path over 4096 bytes", "POST", COMMITS, commitWithPath("d/".repeat(2100) + "f"), 400, "invalid_path",
                        "over the limit of 4096"),
                Arguments.of("name over 255 bytes", "POST", COMMITS, commitWithPath("n".repeat(256)), 400, "invalid_path",
                        "a component is 256 bytes long, over the limit of 255"),
                Arguments.of("'..' at the start", "POST", COMMITS, commitWithPath("../../etc/passwd"), 400, "invalid_path",
                        "it has a '..' component"),
                Arguments.of("'.' component", "POST", COMMITS, commitWithPath("a/./b"), 400, "invalid_path", "it has a '.' component"),
                Arguments.of("empty component", "POST", COMMITS, commitWithPath("a//b"), 400, "invalid_path", "it has an empty component"),
                Arguments.of("traversal in a read", "GET", "/v1/volumes/target/stat?path=..%2Fkept", null, 400, "invalid_path",
                        "it has a '..' component"),
                Arguments.of("absolute read", "GET", "/v1/volumes/target/list?path=%2Fetc", null, 400, "invalid_path", "it is absolute"),
                Arguments.of("upper-case volume name", "PUT", "/v1/volumes/Target?mintIfMissing=true", null, 400, "invalid_name",
                        "Invalid volume name 'Target'"),
                Arguments.of("volume name of 64 characters", "PUT", "/v1/volumes/" + "v".repeat(64) + "?mintIfMissing=true", null, 400,
                        "invalid_name", "over the limit of 63"),
                Arguments.of("'..' as a volume name", "GET", "/v1/volumes/%2E%2E/list?path=", null, 400, "invalid_name",
                        "Invalid volume name '..'"),
                Arguments.of("volume name with a leading dash", "PUT", "/v1/volumes/-x?mintIfMissing=true", null, 400, "invalid_name",
                        "Invalid volume name '-x'"),
                Arguments.of("JSON nested 10000 deep", "POST", COMMITS, deep, 400, "invalid_json", "nesting depth"),
                Arguments.of("a number beyond a long", "POST", COMMITS,
                        "{\"format\":1,\"baseSeq\":1e400,\"idempotencyKey\":\"n\",\"changes\":[]}", 400, "invalid_json", "baseSeq"),
                Arguments.of("duplicate field", "POST", COMMITS,
                        "{\"format\":1,\"baseSeq\":1,\"baseSeq\":0,\"idempotencyKey\":\"d\",\"changes\":[]}", 400, "invalid_json",
                        "Duplicate field 'baseSeq'"),
                Arguments.of("a huge number of changes (over maxBodyBytes)", "POST", COMMITS, manyChanges.toString(), 413,
                        "body_too_large", "the limit is 1048576 bytes"),
                Arguments.of("negative file size", "POST", COMMITS, "{\"format\":1,\"baseSeq\":1,\"idempotencyKey\":\"s\",\"changes\":"
                        + "[{\"path\":\"f\",\"type\":\"file\",\"size\":-1,\"mode\":420,\"mtimeNanos\":0,\"chunks\":[]}]}", 400,
                        "invalid_entry", "size"),
                Arguments.of("a chunk id that is not hex", "POST", COMMITS, "{\"format\":1,\"baseSeq\":1,\"idempotencyKey\":\"h\",\"changes\":"
                        + "[{\"path\":\"f\",\"type\":\"file\",\"size\":1,\"mode\":420,\"mtimeNanos\":0,\"chunks\":[\"../../x\"]}]}", 400,
                        "invalid_chunk", "64 hex"),
                Arguments.of("10001 chunks in one plan", "POST", "/v1/volumes/target/uploads", manyChunks(10_001), 400, "invalid_request",
                        "Too many chunks in one request: 10001"),
                Arguments.of("a body that is not UTF-8", "POST", COMMITS, null, 400, "invalid_json", ""),
                Arguments.of("a commit on another org's volume name", "POST", "/v1/volumes/elsewhere/commits",
                        "{\"format\":1,\"baseSeq\":0,\"idempotencyKey\":\"e\",\"changes\":[]}", 404, "volume_not_found",
                        "Volume 'elsewhere' does not exist"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileRequests")
    void aHostileRequestGetsAPrecise4xxAndChangesNothing(String what, String method, String path, String body, int status,
                                                         String code, String message) throws IOException {
        RawApi.Response response = body == null && what.contains("UTF-8")
                ? raw.call(method, path, service.apiKey(), new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'})
                : raw.call(method, path, service.apiKey(), body);

        assertThat(response.status()).as("%s: %s", what, response.text()).isEqualTo(status);
        assertThat(response.isErrorJson()).as(what).isTrue();
        assertThat(response.code()).as(what).isEqualTo(code);
        assertThat(response.message()).as(what).contains(message);
        assertUnchanged();
    }

    @Test
    void aReplayedIdempotencyKeyWithAnotherBodyIsRefusedAndChangesNothing() throws IOException {
        VolumeName volume = VolumeName.of("replay");
        client.createVolumeIfMissing(volume);
        Map<VolumePath, byte[]> first = Map.of(VolumePath.of("f"), random(100, 2));
        CommitResult result = commits.commit(volume, 0, "key-r", first);

        assertThatThrownBy(() -> commits.commit(volume, 0, "key-r", Map.of(VolumePath.of("f"), random(100, 3))))
                .isInstanceOfSatisfying(VolumeServiceException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.code()).isEqualTo("idempotency_conflict");
                    assertThat(e.getMessage()).contains("idempotency key 'key-r' was used for a different commit");
                });
        assertThat(client.findVolume(volume)).map(VolumeInfo::headSeq).contains(result.seq());
        assertThat(commits.read(volume, VolumePath.of("f"), result.seq())).isEqualTo(first.get(VolumePath.of("f")));
    }

    @Test
    void anotherOrgCanNeitherUseNorProbeAChunkOnlyThisOrgHolds() throws IOException {
        VolumeService other = service.client(service.createOrg("prober"));
        VolumeName own = VolumeName.of("own");
        other.createVolumeIfMissing(own);
        Entry.File file = (Entry.File) client.stat(target, VolumePath.of("kept"), 1).orElseThrow().entry();
        ChunkId held = file.chunks().getFirst();
        ChunkId neverSeen = ChunkHasher.hash(random(5000, 99));

        UploadPlan plan = other.planUploads(own, List.of(new ChunkSpec(held, 4096), new ChunkSpec(neverSeen, 4096)));
        assertThat(plan.present()).as("org B learns nothing of org A's chunk").isEmpty();
        assertThat(plan.uploads()).extracting(PresignedUrl::id).containsExactlyInAnyOrder(held, neverSeen);

        CommitProposal stealing = new CommitProposal(0, "steal", "m", List.of(new Change(VolumePath.of("stolen"), file)));
        assertThatThrownBy(() -> other.commit(own, stealing))
                .isInstanceOfSatisfying(MissingChunksException.class, e -> {
                    assertThat(e.chunks()).containsExactlyElementsOf(file.chunks().stream().sorted().distinct().toList());
                    assertThat(e.getMessage()).contains("Cannot commit volume 'own'");
                });
        assertThatThrownBy(() -> other.downloadUrls(own, List.of(held)))
                .isInstanceOfSatisfying(VolumeServiceException.class, e -> assertThat(e.code()).isEqualTo("unknown_chunk"));
        assertThat(other.findVolume(own)).map(VolumeInfo::headSeq).contains(0L);

        // Org B's upload under the same chunk name lands in org B's space: org A's bytes are untouched.
        PresignedUrl bUpload = plan.uploads().stream().filter(u -> u.id().equals(held)).findFirst().orElseThrow();
        assertThat(put(bUpload.url(), random(4096, 7))).isEqualTo(200);
        PresignedUrl aDownload = client.downloadUrls(target, List.of(held)).getFirst();
        assertThat(bUpload.url().getPath()).isNotEqualTo(aDownload.url().getPath());
        assertThat(commits.read(target, VolumePath.of("kept"), 1)).isEqualTo(committed);
    }

    @Test
    void presignedUrlsAreBoundToOneMethodAndExpire() throws IOException {
        Entry.File file = (Entry.File) client.stat(target, VolumePath.of("kept"), 1).orElseThrow().entry();
        PresignedUrl get = client.downloadUrls(target, List.of(file.chunks().getFirst())).getFirst();
        Instant issued = Instant.now();
        ChunkId fresh = ChunkHasher.hash(random(10, 11));
        PresignedUrl upload = client.planUploads(target, List.of(new ChunkSpec(fresh, 10))).uploads().getFirst();

        assertThat(send("PUT", get.url(), random(4096, 5))).as("a GET URL used to PUT").isEqualTo(403);
        assertThat(send("DELETE", get.url(), null)).as("a GET URL used to DELETE").isEqualTo(403);
        assertThat(send("GET", upload.url(), null)).as("a PUT URL used to GET").isEqualTo(403);
        assertThat(send("GET", get.url(), null)).as("the GET URL as issued").isEqualTo(200);
        assertThat(commits.read(target, VolumePath.of("kept"), 1)).as("nothing was overwritten").isEqualTo(committed);

        await().atMost(Duration.ofSeconds(10)).until(() -> Instant.now().isAfter(issued.plusSeconds(4)));
        assertThat(send("GET", get.url(), null)).as("an expired GET URL").isEqualTo(403);
    }

    @Test
    void noLogLineCarriesASignatureOrAnApiKey() throws IOException {
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        Logger ours = (Logger) LoggerFactory.getLogger("dev.sail.volumes");
        Level before = ours.getLevel();
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        ours.setLevel(Level.DEBUG);
        try (HttpChunkTransfer flaky = new HttpChunkTransfer(2, 2, Duration.ofMillis(5), Duration.ofSeconds(5))) {
            VolumeName volume = VolumeName.of("logged");
            client.createVolumeIfMissing(volume);
            ClientCommits logged = new ClientCommits(client, flaky, ClientCommits.SMALL);
            Map<VolumePath, byte[]> files = Map.of(VolumePath.of("a"), random(9000, 21));
            logged.commit(volume, 0, "l", files);
            assertThat(logged.read(volume, VolumePath.of("a"), 1)).isEqualTo(files.get(VolumePath.of("a")));
            // A refused upload (an expired URL: S3 answers 403) is logged and reported by chunk and host only.
            ChunkId late = ChunkHasher.hash(random(10, 22));
            PresignedUrl url = client.planUploads(volume, List.of(new ChunkSpec(late, 10))).uploads().getFirst();
            PresignedUrl tampered = new PresignedUrl(late, URI.create(url.url().toString().replace("X-Amz-Signature=", "X-Amz-Signature=0")),
                    url.headers());
            assertThatThrownBy(() -> flaky.uploadAll(List.of(new dev.sail.volumes.client.ChunkTransfer.Upload(tampered, 10,
                    () -> java.nio.ByteBuffer.wrap(random(10, 22)))), (id, n) -> { }))
                    .isInstanceOf(IOException.class).hasMessageContaining("was refused by 127.0.0.1: HTTP 403")
                    .hasMessageNotContaining("X-Amz-Signature");
        } finally {
            root.detachAppender(captured);
            ours.setLevel(before);
        }
        assertThat(captured.list).as("log events captured").isNotEmpty();
        for (ILoggingEvent event : captured.list) {
            String line = event.getFormattedMessage() + (event.getThrowableProxy() == null ? "" : event.getThrowableProxy().getMessage());
            assertThat(line).doesNotContain("X-Amz-Signature").doesNotContain(service.apiKey()).doesNotContain(service.adminKey());
        }
    }

    @Test
    void aChunkWhoseBytesDoNotHashToItsNameIsNeverServedAsData() throws IOException {
        VolumeName volume = VolumeName.of("forged");
        client.createVolumeIfMissing(volume);
        byte[] genuine = random(3000, 31);
        ChunkId id = ChunkHasher.hash(genuine);
        PresignedUrl upload = client.planUploads(volume, List.of(new ChunkSpec(id, genuine.length))).uploads().getFirst();
        byte[] forged = random(3000, 32);
        // Without the checksum header S3 stores whatever arrives under the chunk's name.
        assertThat(put(upload.url(), forged)).isEqualTo(200);
        CommitResult result = client.commit(volume, new CommitProposal(0, "f", "m",
                List.of(new Change(VolumePath.of("forged.bin"), new Entry.File(genuine.length, 0644, 0, List.of(id))))));

        assertThatThrownBy(() -> commits.read(volume, VolumePath.of("forged.bin"), result.seq()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Chunk " + id + " downloaded from 127.0.0.1 does not match its SHA-256")
                .hasMessageContaining("the 3000 bytes hash to " + ChunkHasher.hash(forged));
    }

    private static void assertUnchanged() throws IOException {
        assertThat(client.findVolume(target)).map(VolumeInfo::headSeq).as("the head did not move").contains(1L);
        assertThat(client.list(target, VolumePath.ROOT, 1, null, 100).items()).extracting(v -> v.path().toString())
                .containsExactly("kept");
        assertThat(client.listVolumes()).extracting(v -> v.name().value()).doesNotContain("Target", "-x");
    }

    private static String commitWithPath(String path) {
        return "{\"format\":1,\"baseSeq\":1,\"idempotencyKey\":\"p\",\"changes\":[{\"path\":\"" + path + "\",\"type\":\"deleted\"}]}";
    }

    private static String manyChunks(int count) {
        StringBuilder body = new StringBuilder("{\"chunks\":[");
        for (int i = 0; i < count; i++) {
            body.append(i == 0 ? "" : ",").append("{\"id\":\"").append(String.format("%064x", i)).append("\",\"size\":1}");
        }
        return body.append("]}").toString();
    }

    private static int put(URI url, byte[] bytes) {
        return send("PUT", url, bytes);
    }

    private static int send(String method, URI url, byte[] bytes) {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(url).method(method, bytes == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
