package dev.sail.volumes.fuse.core;

import dev.sail.volumes.chunking.ChunkId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bounded on-disk cache of published chunks: one file per chunk, named by its hash, evicted
 * least recently used first once the cache holds more than its limit. It holds clean bytes only
 * (dirty bytes live in {@link DirtyChunks}), so eviction never loses a write.
 *
 * <p>A missing chunk is fetched once, however many readers ask at the same time, and published
 * with an atomic rename. Prefetches run on a small pool, so at most that many downloads run at
 * once on behalf of read-ahead. Thread-safe.
 */
public final class ChunkCache implements AutoCloseable {
    /** Fetches one chunk's verified bytes. */
    @FunctionalInterface
    public interface Fetcher {
        ByteBuffer fetch(ChunkId id) throws IOException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(ChunkCache.class);
    private static final int READ_RETRIES = 3;

    private final Path dir;
    private final long maxBytes;
    private final Fetcher fetcher;
    private final ExecutorService prefetchPool;
    private final Map<ChunkId, CompletableFuture<Path>> inFlight = new ConcurrentHashMap<>();
    /** Access-ordered index of the cached chunks and their sizes; guarded by itself. */
    private final LinkedHashMap<ChunkId, Long> lru = new LinkedHashMap<>(256, 0.75f, true);
    private final AtomicLong usedBytes = new AtomicLong();
    private final AtomicLong fetchedBytes = new AtomicLong();

    public ChunkCache(Path dir, long maxBytes, int prefetchThreads, Fetcher fetcher) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.maxBytes = maxBytes;
        this.fetcher = fetcher;
        this.prefetchPool = Executors.newFixedThreadPool(prefetchThreads,
                Thread.ofPlatform().daemon().name("chunk-prefetch-", 0).factory());
        loadIndex();
    }

    /** Rebuilds the index from the files on disk, oldest modification first (a restart keeps the cache warm). */
    private void loadIndex() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.sorted(Comparator.comparingLong(p -> p.toFile().lastModified())).toList();
        }
        synchronized (lru) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (ChunkId.isValidHex(name)) {
                    long size = file.toFile().length();
                    lru.put(ChunkId.ofHex(name), size);
                    usedBytes.addAndGet(size);
                } else {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    /** The file holding chunk {@code id}, fetched first if the cache lacks it. */
    public Path ensure(ChunkId id) throws IOException {
        Path file = dir.resolve(id.toString());
        synchronized (lru) {
            if (lru.get(id) != null) {
                return file;
            }
        }
        CompletableFuture<Path> mine = new CompletableFuture<>();
        CompletableFuture<Path> running = inFlight.putIfAbsent(id, mine);
        if (running != null) {
            return join(running);
        }
        try {
            mine.complete(fetchInto(id, file));
        } catch (IOException | RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(id);
        }
        return file;
    }

    /** Starts fetching chunk {@code id} in the background unless it is cached or already coming. */
    public void prefetch(ChunkId id) {
        synchronized (lru) {
            if (lru.containsKey(id)) {
                return;
            }
        }
        if (inFlight.containsKey(id)) {
            return;
        }
        prefetchPool.execute(() -> {
            try {
                ensure(id);
            } catch (IOException | RuntimeException e) {
                LOG.debug("Prefetch of chunk {} failed: {}", id.abbreviated(), e.toString());
            }
        });
    }

    /** Reads {@code length} bytes at {@code offset} of chunk {@code id} into {@code dst}. */
    public void read(ChunkId id, long offset, ByteBuffer dst, int length) throws IOException {
        for (int attempt = 1; ; attempt++) {
            Path file = ensure(id);
            int start = dst.position();
            ByteBuffer window = dst.duplicate().limit(start + length);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                long position = offset;
                while (window.hasRemaining()) {
                    int n = channel.read(window, position);
                    if (n < 0) {
                        throw new IOException("Cached chunk " + id.abbreviated() + " ends before byte " + position);
                    }
                    position += n;
                }
                dst.position(start + length);
                return;
            } catch (NoSuchFileException e) {
                // Evicted between ensure() and open(): fetch it again.
                synchronized (lru) {
                    Long size = lru.remove(id);
                    if (size != null) {
                        usedBytes.addAndGet(-size);
                    }
                }
                if (attempt >= READ_RETRIES) {
                    throw e;
                }
            }
        }
    }

    /** Takes ownership of {@code file}, whose bytes hash to {@code id} (a committed dirty chunk): moved in, or deleted if already cached. */
    public void adopt(ChunkId id, Path file) throws IOException {
        Path target = dir.resolve(id.toString());
        synchronized (lru) {
            if (lru.containsKey(id)) {
                Files.deleteIfExists(file);
                return;
            }
            Files.move(file, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            long size = Files.size(target);
            lru.put(id, size);
            usedBytes.addAndGet(size);
        }
        evict();
    }

    /** Where chunk {@code id} lives when it is cached (it may not be). */
    public Path pathOf(ChunkId id) {
        return dir.resolve(id.toString());
    }

    /**
     * Evicts least recently used chunks until at least {@code bytes} are freed or the cache is empty
     * (a full disk: dirty data needs the room more than clean copies do). Answers the bytes freed.
     */
    public long free(long bytes) throws IOException {
        long freed = 0;
        synchronized (lru) {
            Iterator<Map.Entry<ChunkId, Long>> oldest = lru.entrySet().iterator();
            while (freed < bytes && oldest.hasNext()) {
                Map.Entry<ChunkId, Long> victim = oldest.next();
                oldest.remove();
                usedBytes.addAndGet(-victim.getValue());
                freed += victim.getValue();
                Files.deleteIfExists(dir.resolve(victim.getKey().toString()));
            }
        }
        return freed;
    }

    public long usedBytes() {
        return usedBytes.get();
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Bytes fetched from storage since this cache was opened. */
    public long fetchedBytes() {
        return fetchedBytes.get();
    }

    private Path fetchInto(ChunkId id, Path file) throws IOException {
        ByteBuffer bytes = fetcher.fetch(id);
        Path temp = Files.createTempFile(dir, "fetch-", ".tmp");
        boolean success = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
            }
            long size = Files.size(temp);
            synchronized (lru) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                if (lru.put(id, size) == null) {
                    usedBytes.addAndGet(size);
                }
            }
            fetchedBytes.addAndGet(size);
            success = true;
        } finally {
            if (!success) {
                Files.deleteIfExists(temp);
            }
        }
        evict();
        return file;
    }

    /** Drops least recently used chunks until the cache fits its limit (the newest entry always stays). */
    private void evict() throws IOException {
        synchronized (lru) {
            Iterator<Map.Entry<ChunkId, Long>> oldest = lru.entrySet().iterator();
            while (usedBytes.get() > maxBytes && lru.size() > 1 && oldest.hasNext()) {
                Map.Entry<ChunkId, Long> victim = oldest.next();
                oldest.remove();
                usedBytes.addAndGet(-victim.getValue());
                // Readers with the file open keep reading it: on Linux the bytes live until they close it.
                Files.deleteIfExists(dir.resolve(victim.getKey().toString()));
            }
        }
    }

    private static Path join(CompletableFuture<Path> future) throws IOException {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw new IOException(io.getMessage(), io);
            }
            if (e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    @Override
    public void close() {
        prefetchPool.shutdownNow();
    }
}
