package dev.sail.volumes.client;

import dev.sail.volumes.chunking.ChunkId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * Moves chunk bytes between the guest and S3 through presigned URLs, never through the service.
 * Transfers run with bounded concurrency and retry with backoff; downloads are verified against the
 * chunk's SHA-256 before they are returned. Thread-safe.
 */
public interface ChunkTransfer extends AutoCloseable {
    /** Where an upload reads a chunk's bytes from. */
    @FunctionalInterface
    interface ChunkBytes {
        /** The chunk's exact bytes (a fresh buffer, position 0). */
        ByteBuffer read() throws IOException;
    }

    /** Progress of a batch of uploads, reported as chunks finish. */
    @FunctionalInterface
    interface Progress {
        void chunkDone(ChunkId id, long bytes);
    }

    /** One chunk to upload: where it goes, and how to read it. */
    record Upload(PresignedUrl target, long size, ChunkBytes bytes) {
    }

    /**
     * Uploads every chunk, at most the configured number at once, retrying each with backoff.
     *
     * @throws IOException when a chunk still fails after its retries; the chunks already uploaded
     *                     stay uploaded, so a rerun uploads only what is left
     */
    void uploadAll(List<Upload> uploads, Progress progress) throws IOException;

    /**
     * Downloads one chunk and verifies that its bytes hash to {@code url.id()}.
     *
     * @throws IOException when the download fails after retries, or the bytes do not match the id
     */
    ByteBuffer download(PresignedUrl url) throws IOException;

    /**
     * Downloads one chunk into {@code target} (created, or truncated if it exists) and verifies that
     * its bytes hash to {@code url.id()}; answers the chunk's size. The bytes need not pass through
     * memory whole, so a large chunk costs no large buffer. When this throws, {@code target} holds
     * nothing usable and the caller deletes it.
     *
     * @throws IOException when the download fails after retries, the bytes do not match the id, or
     *                     {@code target} cannot be written
     */
    default long downloadTo(PresignedUrl url, Path target) throws IOException {
        return ChunkFiles.write(download(url), target);
    }

    @Override
    void close();
}
