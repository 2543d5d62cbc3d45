package dev.sail.volumes.client;

import dev.sail.volumes.chunking.ChunkId;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ChunkTransfer} over plain HTTP(S) with {@link java.net.http.HttpClient}: PUTs and GETs to
 * presigned URLs, at most {@code maxInFlight} at once and, for uploads, at most
 * {@code maxBytesInFlight} bytes at once (small PUTs are latency-bound, so many go at once; big
 * ones are bandwidth-bound, so few do), each retried with exponential backoff and jitter
 * on I/O errors, 5xx, 408 and 429. Other 4xx answers (an expired URL, a checksum S3 rejected) fail at
 * once: a retry cannot fix them. Downloads are verified against the chunk's SHA-256.
 *
 * <p>Messages and logs name chunks and hosts, never a URL (its signature is a credential).
 * Thread-safe; {@link #close()} releases the HTTP client.
 */
public final class HttpChunkTransfer implements ChunkTransfer {
    private static final Logger LOG = LoggerFactory.getLogger(HttpChunkTransfer.class);
    /** Headers java.net.http sets itself and refuses from callers. */
    private static final Set<String> RESTRICTED = Set.of("host", "content-length", "connection", "expect", "upgrade");

    /** Uploads at once by default: enough to hide a PUT's latency when chunks are small. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 64;
    /** Upload bytes at once by default: 8 full 8 MiB chunks. */
    public static final long DEFAULT_MAX_BYTES_IN_FLIGHT = 64L << 20;
    /** The unit of the byte budget's semaphore. */
    private static final int BUDGET_UNIT = 1024;

    private final HttpClient http;
    private final int concurrency;
    private final int budgetUnits;
    private final Semaphore uploadBytes;
    private final int attempts;
    private final Duration firstBackoff;
    private final Duration timeout;
    private final Semaphore downloads;

    /**
     * {@value #DEFAULT_MAX_IN_FLIGHT} uploads and 64 MiB at once (8 downloads at once), 5 attempts
     * each, backoff from 200 ms.
     */
    public HttpChunkTransfer() {
        this(DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_BYTES_IN_FLIGHT, 5, Duration.ofMillis(200), Duration.ofMinutes(5));
    }

    /**
     * @param concurrency  most transfers in flight at once, whatever their size (uploads per batch; downloads across callers)
     * @param attempts     tries per chunk, at least 1
     * @param firstBackoff wait before the second try; doubled for each later one
     * @param timeout      the longest one request may take
     */
    public HttpChunkTransfer(int concurrency, int attempts, Duration firstBackoff, Duration timeout) {
        this(concurrency, Long.MAX_VALUE, attempts, firstBackoff, timeout);
    }

    /**
     * @param maxInFlight      most uploads in flight at once (per batch)
     * @param maxBytesInFlight most upload bytes in flight at once (across batches; a chunk bigger than this goes alone);
     *                         downloads, whose size is unknown up front, go at most this many full 8 MiB chunks at once
     * @param attempts         tries per chunk, at least 1
     * @param firstBackoff     wait before the second try; doubled for each later one
     * @param timeout          the longest one request may take
     */
    public HttpChunkTransfer(int maxInFlight, long maxBytesInFlight, int attempts, Duration firstBackoff, Duration timeout) {
        if (maxInFlight < 1 || attempts < 1 || maxBytesInFlight < 1) {
            throw new IllegalArgumentException("Transfers in flight, bytes in flight and attempts must be at least 1, got "
                    + maxInFlight + ", " + maxBytesInFlight + " and " + attempts);
        }
        int downloadConcurrency = maxBytesInFlight == Long.MAX_VALUE ? maxInFlight
                : (int) Math.max(1, Math.min(maxInFlight, maxBytesInFlight / (8L << 20)));
        this.concurrency = maxInFlight;
        this.budgetUnits = (int) Math.min(Integer.MAX_VALUE, Math.max(1, maxBytesInFlight / BUDGET_UNIT));
        this.uploadBytes = new Semaphore(budgetUnits);
        this.attempts = attempts;
        this.firstBackoff = firstBackoff;
        this.timeout = timeout;
        this.downloads = new Semaphore(downloadConcurrency);
        LOG.debug("Chunk transfers: {} uploads and {} bytes in flight, {} downloads", maxInFlight, maxBytesInFlight, downloadConcurrency);
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    @Override
    public void uploadAll(List<Upload> uploads, Progress progress) throws IOException {
        Semaphore permits = new Semaphore(concurrency);
        AtomicBoolean failed = new AtomicBoolean();
        List<Future<?>> futures = new ArrayList<>(uploads.size());
        IOException failure = null;
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Upload upload : uploads) {
                futures.add(executor.submit(() -> {
                    int units = budgetUnits(upload.size());
                    permits.acquire();
                    try {
                        uploadBytes.acquire(units);
                        try {
                            if (failed.get()) {
                                return null; // another chunk failed: do not start new work
                            }
                            upload(upload);
                            progress.chunkDone(upload.target().id(), upload.size());
                            return null;
                        } finally {
                            uploadBytes.release(units);
                        }
                    } catch (IOException | RuntimeException e) {
                        failed.set(true);
                        throw e;
                    } finally {
                        permits.release();
                    }
                }));
            }
            for (Future<?> future : futures) {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    IOException cause = e.getCause() instanceof IOException io ? io
                            : new IOException("Upload failed: " + e.getCause(), e.getCause());
                    if (failure == null) {
                        failure = cause;
                    } else {
                        failure.addSuppressed(cause);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while uploading chunks", e);
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** The byte budget a chunk of {@code size} takes: rounded up, and never more than the whole budget. */
    private int budgetUnits(long size) {
        return (int) Math.max(1, Math.min(budgetUnits, (size + BUDGET_UNIT - 1) / BUDGET_UNIT));
    }

    @Override
    public ByteBuffer download(PresignedUrl url) throws IOException {
        try {
            downloads.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while waiting to download chunk " + url.id().abbreviated(), e);
        }
        try {
            byte[] bytes = withRetries("download", url, () -> {
                HttpRequest.Builder request = HttpRequest.newBuilder(url.url()).timeout(timeout).GET();
                headers(request, url.headers());
                return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            });
            ChunkId actual = ChunkId.ofDigest(sha256(bytes));
            if (!actual.equals(url.id())) {
                throw new IOException("Chunk " + url.id() + " downloaded from " + url.url().getHost()
                        + " does not match its SHA-256: the " + bytes.length + " bytes hash to " + actual);
            }
            return ByteBuffer.wrap(bytes);
        } finally {
            downloads.release();
        }
    }

    @Override
    public void close() {
        http.close();
    }

    private void upload(Upload upload) throws IOException {
        withRetries("upload", upload.target(), () -> {
            ByteBuffer bytes = upload.bytes().read();
            if (bytes.remaining() != upload.size()) {
                throw new IOException("Chunk " + upload.target().id().abbreviated() + " has " + bytes.remaining()
                        + " bytes to upload, expected " + upload.size());
            }
            HttpRequest.BodyPublisher body = bytes.hasArray()
                    ? HttpRequest.BodyPublishers.ofByteArray(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining())
                    : HttpRequest.BodyPublishers.ofByteArray(copy(bytes));
            HttpRequest.Builder request = HttpRequest.newBuilder(upload.target().url()).timeout(timeout).PUT(body);
            headers(request, upload.target().headers());
            return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        });
    }

    private interface Attempt {
        HttpResponse<byte[]> run() throws IOException, InterruptedException;
    }

    /** Runs {@code attempt} until it answers 2xx, retrying what a retry can fix; answers the body. */
    private byte[] withRetries(String what, PresignedUrl url, Attempt attempt) throws IOException {
        Duration backoff = firstBackoff;
        String chunk = url.id().abbreviated();
        for (int i = 1; ; i++) {
            String failure;
            try {
                HttpResponse<byte[]> response = attempt.run();
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return response.body();
                }
                failure = "HTTP " + status + s3ErrorCode(response.body());
                if (status < 500 && status != 408 && status != 429) {
                    throw new IOException("The " + what + " of chunk " + url.id() + " was refused by " + url.url().getHost()
                            + ": " + failure);
                }
            } catch (IOException e) {
                if (e.getMessage() != null && e.getMessage().contains("was refused by")) {
                    throw e;
                }
                failure = e.toString();
                if (i >= attempts) {
                    throw new IOException("The " + what + " of chunk " + url.id() + " failed after " + i + " attempts: " + failure, e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("Interrupted during the " + what + " of chunk " + chunk, e);
            }
            if (i >= attempts) {
                throw new IOException("The " + what + " of chunk " + url.id() + " failed after " + i + " attempts: " + failure);
            }
            LOG.debug("Retrying the {} of chunk {} (attempt {} of {}): {}", what, chunk, i + 1, attempts, failure);
            try {
                long jitter = ThreadLocalRandom.current().nextLong(backoff.toMillis() / 2 + 1);
                // Backoff with jitter: a failing S3 gets breathing room, and retries of many chunks do not move in lockstep.
                Thread.sleep(backoff.toMillis() + jitter);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("Interrupted during the " + what + " of chunk " + chunk, e);
            }
            backoff = backoff.multipliedBy(2);
        }
    }

    private static void headers(HttpRequest.Builder request, Map<String, String> headers) {
        headers.forEach((name, value) -> {
            if (!RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
                request.header(name, value);
            }
        });
    }

    /** The {@code <Code>} of an S3 error body, if there is one. */
    private static String s3ErrorCode(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, 2048), StandardCharsets.UTF_8);
        int start = text.indexOf("<Code>");
        int end = text.indexOf("</Code>");
        return start >= 0 && end > start ? " " + text.substring(start + 6, end) : "";
    }

    private static byte[] copy(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }
}
