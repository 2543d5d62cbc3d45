package dev.sail.volumes.chunking;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * SHA-256 of chunks: of buffers, of byte ranges of files (streamed through a small buffer, never
 * the whole range on the heap), and of many chunks at once across cores.
 *
 * <p>Thread-safe: every call uses its own digest and buffer.
 */
public final class ChunkHasher {
    /** Reads from files go through a buffer of this size; SHA-256 runs at memory speed past ~256 KiB. */
    static final int READ_BUFFER = 1 << 20;

    private ChunkHasher() {
    }

    /** A source of one chunk's bytes, hashed on whatever thread the caller chooses. */
    @FunctionalInterface
    public interface ChunkSource {
        ChunkId hash() throws IOException;
    }

    /** The id of the bytes remaining in {@code bytes}; the buffer's position is left unchanged. */
    public static ChunkId hash(ByteBuffer bytes) {
        MessageDigest digest = newDigest();
        digest.update(bytes.duplicate());
        return ChunkId.ofDigest(digest.digest());
    }

    /** The id of {@code bytes}. */
    public static ChunkId hash(byte[] bytes) {
        return ChunkId.ofDigest(newDigest().digest(bytes));
    }

    /**
     * The id of {@code length} bytes of {@code channel} starting at {@code offset}, read with
     * positional reads (the channel's position is untouched, so threads may share a channel).
     *
     * @throws IOException if the range runs past the end of the file or a read fails
     */
    public static ChunkId hash(FileChannel channel, long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || offset > Long.MAX_VALUE - length) {
            throw new ChunkingException("Invalid byte range to hash: offset " + offset + ", length " + length);
        }
        MessageDigest digest = newDigest();
        // A heap buffer: the digest reads its array directly, and the channel copies through its
        // own cached per-thread direct buffer, so no direct memory is allocated per chunk.
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(READ_BUFFER, Math.max(1, length)));
        long position = offset;
        long end = offset + length;
        while (position < end) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), end - position));
            int read = channel.read(buffer, position);
            if (read < 0) {
                throw new IOException("File ended at " + position + " while hashing bytes " + offset + ".." + end);
            }
            buffer.flip();
            digest.update(buffer);
            position += read;
        }
        return ChunkId.ofDigest(digest.digest());
    }

    /** The ids of every chunk of {@code file} under {@code layout}, hashed one after another. */
    public static List<ChunkId> hashFile(Path file, ChunkLayout layout) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            List<ChunkId> ids = new ArrayList<>();
            for (ChunkRange range : layout.ranges(channel.size())) {
                ids.add(hash(channel, range.offset(), range.length()));
            }
            return List.copyOf(ids);
        }
    }

    /**
     * The ids of every chunk of {@code file}, hashed on up to {@code parallelism} threads; the same
     * ids, in the same order, as {@link #hashFile}. The threads are started and stopped by this call.
     */
    public static List<ChunkId> hashFileParallel(Path file, ChunkLayout layout, int parallelism) throws IOException {
        if (parallelism < 1) {
            throw new ChunkingException("Hashing parallelism must be at least 1, got " + parallelism);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
             ExecutorService pool = Executors.newFixedThreadPool(parallelism, Thread.ofPlatform().daemon().name("chunk-hash-", 0).factory())) {
            List<ChunkSource> sources = new ArrayList<>();
            for (ChunkRange range : layout.ranges(channel.size())) {
                sources.add(() -> hash(channel, range.offset(), range.length()));
            }
            return hashAll(sources, pool);
        }
    }

    /**
     * Hashes every source on {@code executor} and returns the ids in the sources' order. Waits for
     * every source to finish, so that no task still reads a channel the caller is about to close.
     *
     * @throws IOException the failure of the first failing source in the sources' order (a
     *                     {@link RuntimeException} or {@link Error} of a source is rethrown as it is)
     */
    public static List<ChunkId> hashAll(List<ChunkSource> sources, ExecutorService executor) throws IOException {
        List<CompletableFuture<ChunkId>> futures = new ArrayList<>(sources.size());
        for (ChunkSource source : sources) {
            futures.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return source.hash();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, executor));
        }
        // Wait for all of them first: returning at the first failure would leave tasks running.
        try {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException ignored) {
            // Reported below, in the sources' order.
        }
        List<ChunkId> ids = new ArrayList<>(futures.size());
        for (CompletableFuture<ChunkId> future : futures) {
            try {
                ids.add(future.join());
            } catch (CompletionException e) {
                switch (e.getCause()) {
                    case UncheckedIOException io -> throw io.getCause();
                    case RuntimeException runtime -> throw runtime;
                    case Error error -> throw error;
                    case null, default -> throw e;
                }
            }
        }
        return List.copyOf(ids);
    }

    /** A fresh SHA-256 digest. */
    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("The JDK always provides SHA-256", e);
        }
    }
}
