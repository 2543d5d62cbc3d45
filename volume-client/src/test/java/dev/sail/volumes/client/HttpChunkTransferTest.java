package dev.sail.volumes.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sail.volumes.chunking.ChunkId;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transfer engine against a scripted HTTP server on 127.0.0.1: retries, refusals, verification, concurrency. */
class HttpChunkTransferTest {
    private HttpServer server;
    private final Map<String, byte[]> stored = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> failuresLeft = new ConcurrentHashMap<>();
    private final Map<String, String> receivedHeaders = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile int failStatus = 503;
    /** Armed by the concurrency test only. */
    private volatile CountDownLatch overlap = new CountDownLatch(0);
    private HttpChunkTransfer transfer;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
        transfer = new HttpChunkTransfer(3, 4, Duration.ofMillis(5), Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() {
        transfer.close();
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try {
            String key = exchange.getRequestURI().getPath();
            byte[] body = exchange.getRequestBody().readAllBytes();
            String checksum = exchange.getRequestHeaders().getFirst("x-amz-checksum-sha256");
            if (checksum != null) {
                receivedHeaders.put(key, checksum);
            }
            String type = exchange.getRequestHeaders().getFirst("Content-Type");
            if (type != null) {
                receivedHeaders.put(key + " type", type);
            }
            AtomicInteger left = failuresLeft.get(key);
            if (left != null && left.getAndDecrement() > 0) {
                reply(exchange, failStatus, "<Error><Code>Scripted</Code></Error>".getBytes(StandardCharsets.UTF_8));
                return;
            }
            // The first requests wait for each other, so the test sees how many the engine runs at once.
            overlap.countDown();
            overlap.await(5, TimeUnit.SECONDS);
            if (exchange.getRequestMethod().equals("PUT")) {
                stored.put(key, body);
                reply(exchange, 200, new byte[0]);
            } else {
                byte[] bytes = stored.get(key);
                reply(exchange, bytes == null ? 404 : 200, bytes == null ? new byte[0] : bytes);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static void reply(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
        exchange.close();
    }

    @Test
    void uploadsEveryChunkWithItsHeadersRetryingServerErrorsAndBoundingConcurrency() throws IOException {
        List<ChunkTransfer.Upload> uploads = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            byte[] bytes = ("chunk " + i).getBytes(StandardCharsets.UTF_8);
            PresignedUrl url = url(bytes, "/c" + i, Map.of("x-amz-checksum-sha256", id(bytes).base64(), "Content-Length", "99"));
            uploads.add(new ChunkTransfer.Upload(url, bytes.length, () -> ByteBuffer.wrap(bytes)));
        }
        overlap = new CountDownLatch(3);
        failuresLeft.put("/c0", new AtomicInteger(2));
        failuresLeft.put("/c5", new AtomicInteger(3));
        List<ChunkId> done = java.util.Collections.synchronizedList(new ArrayList<>());

        transfer.uploadAll(uploads, (id, bytes) -> done.add(id));

        assertThat(stored).hasSize(12);
        assertThat(new String(stored.get("/c5"), StandardCharsets.UTF_8)).isEqualTo("chunk 5");
        assertThat(done).hasSize(12);
        assertThat(receivedHeaders.get("/c3")).isEqualTo(id("chunk 3".getBytes(StandardCharsets.UTF_8)).base64());
        assertThat(receivedHeaders.get("/c3 type")).as("bytes, not a form").isEqualTo("application/octet-stream");
        assertThat(maxInFlight.get()).as("3 transfers at once, never more").isEqualTo(3);
    }

    @Test
    void manySmallUploadsGoAtOnceButBigOnesAreBoundedByBytesInFlight() throws IOException {
        try (HttpChunkTransfer wide = new HttpChunkTransfer(10, 100_000, 4, Duration.ofMillis(5), Duration.ofSeconds(10))) {
            overlap = new CountDownLatch(10);
            wide.uploadAll(uploads(30, 100, "/s"), (id, bytes) -> { });
            assertThat(maxInFlight.get()).as("small chunks: the count bound, 10 at once").isEqualTo(10);

            maxInFlight.set(0);
            overlap = new CountDownLatch(2);
            wide.uploadAll(uploads(6, 40_000, "/b"), (id, bytes) -> { });
            assertThat(maxInFlight.get()).as("40 kB chunks under a 100 kB budget: 2 at once").isEqualTo(2);
            assertThat(stored).hasSize(36);
        }
    }

    private List<ChunkTransfer.Upload> uploads(int count, int size, String prefix) {
        List<ChunkTransfer.Upload> uploads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] bytes = new byte[size];
            java.util.Arrays.fill(bytes, (byte) i);
            bytes[0] = (byte) prefix.charAt(1);
            uploads.add(new ChunkTransfer.Upload(url(bytes, prefix + i, Map.of()), size, () -> ByteBuffer.wrap(bytes)));
        }
        return uploads;
    }

    @Test
    void uploadsAChunkFileThroughTheCopyBufferAndRefusesOneOfAnotherSize(@TempDir Path dir) throws IOException {
        byte[] bytes = new byte[600_000]; // more than two turns of the 256 KiB copy buffer
        new java.util.Random(11).nextBytes(bytes);
        Path file = Files.write(dir.resolve("chunk"), bytes);
        PresignedUrl url = url(bytes, "/from-file", Map.of());
        failuresLeft.put("/from-file", new AtomicInteger(1));

        transfer.uploadAll(List.of(new ChunkTransfer.Upload(url, bytes.length, ChunkTransfer.ChunkBytes.ofFile(file))), (id, n) -> { });

        assertThat(stored.get("/from-file")).as("the whole file, also on the retry").isEqualTo(bytes);

        PresignedUrl longer = url(bytes, "/longer", Map.of());
        assertThatThrownBy(() -> transfer.uploadAll(List.of(new ChunkTransfer.Upload(longer, bytes.length + 1, ChunkTransfer.ChunkBytes.ofFile(file))),
                (id, n) -> { }))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("The chunk has 600000 bytes to upload, expected 600001");
        assertThat(stored).as("nothing stored for a chunk of the wrong size").doesNotContainKey("/longer");
    }

    @Test
    void failsAtOnceWhenTheUrlIsRefusedNamingTheChunkNotTheUrl() {
        byte[] bytes = "refused".getBytes(StandardCharsets.UTF_8);
        PresignedUrl url = url(bytes, "/secret-signature", Map.of());
        failuresLeft.put("/secret-signature", new AtomicInteger(100));
        failStatus = 403;

        assertThatThrownBy(() -> transfer.uploadAll(List.of(new ChunkTransfer.Upload(url, bytes.length, () -> ByteBuffer.wrap(bytes))),
                (id, n) -> { }))
                .isInstanceOf(IOException.class)
                .hasMessage("The upload of chunk " + id(bytes) + " was refused by 127.0.0.1: HTTP 403 Scripted")
                .message().doesNotContain("secret-signature");
        assertThat(failuresLeft.get("/secret-signature").get()).as("no retry of a 403").isEqualTo(99);
    }

    @Test
    void givesUpAfterItsAttempts() {
        byte[] bytes = "flaky".getBytes(StandardCharsets.UTF_8);
        PresignedUrl url = url(bytes, "/flaky", Map.of());
        failuresLeft.put("/flaky", new AtomicInteger(100));

        assertThatThrownBy(() -> transfer.uploadAll(List.of(new ChunkTransfer.Upload(url, bytes.length, () -> ByteBuffer.wrap(bytes))),
                (id, n) -> { }))
                .isInstanceOf(IOException.class)
                .hasMessage("The upload of chunk " + id(bytes) + " failed after 4 attempts: HTTP 503 Scripted");
    }

    @Test
    void downloadsAndVerifiesTheHash() throws IOException {
        byte[] bytes = "the bytes".getBytes(StandardCharsets.UTF_8);
        stored.put("/good", bytes);
        stored.put("/bad", "other bytes".getBytes(StandardCharsets.UTF_8));
        failuresLeft.put("/good", new AtomicInteger(1));

        ByteBuffer read = transfer.download(url(bytes, "/good", Map.of()));
        byte[] copy = new byte[read.remaining()];
        read.get(copy);
        assertThat(copy).isEqualTo(bytes);

        assertThatThrownBy(() -> transfer.download(url(bytes, "/bad", Map.of())))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("Chunk " + id(bytes) + " downloaded from 127.0.0.1 does not match its SHA-256");
    }

    @Test
    void downloadsIntoAFileReplacingWhatItHeldAndRefusesBytesThatDoNotMatch(@TempDir Path dir) throws IOException {
        byte[] bytes = new byte[600_000];
        new java.util.Random(7).nextBytes(bytes);
        stored.put("/file", bytes);
        stored.put("/wrong", "not those bytes".getBytes(StandardCharsets.UTF_8));
        failuresLeft.put("/file", new AtomicInteger(1));
        Path target = dir.resolve("chunk");
        Files.write(target, new byte[700_000]);

        long size = transfer.downloadTo(url(bytes, "/file", Map.of()), target);

        assertThat(size).isEqualTo(bytes.length);
        assertThat(Files.readAllBytes(target)).as("the chunk, with nothing of the old file left").isEqualTo(bytes);
        assertThatThrownBy(() -> transfer.downloadTo(url(bytes, "/wrong", Map.of()), dir.resolve("wrong")))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("Chunk " + id(bytes) + " downloaded from 127.0.0.1 does not match its SHA-256: the 15 bytes hash to");
    }

    private PresignedUrl url(byte[] bytes, String path, Map<String, String> headers) {
        return new PresignedUrl(id(bytes), URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path), headers);
    }

    private static ChunkId id(byte[] bytes) {
        try {
            return ChunkId.ofDigest(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
