package dev.sail.volumes.fuse.core;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.ChunkFiles;
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
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongPredicate;
import java.util.function.Predicate;
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
 *
 * <p>Bytes are never served unverified: chunks this cache fetches are verified by the fetcher, and
 * files found on disk at startup (which a crash, a full disk or another process may have damaged)
 * are hashed on their first use; one that does not hash to its name is deleted and fetched again.
 * When a fetched chunk cannot be written to the disk (full), {@link #read} serves it from memory.
 *
 * <p>A writer about to copy a clean chunk into the dirty overlay can take the cached file instead
 * ({@link #handOver}), unless a read is using it. Files still read from outside the cache are kept.
 */
public final class ChunkCache implements AutoCloseable {
    /** Fetches one chunk's verified bytes. */
    @FunctionalInterface
    public interface Fetcher {
        /** The chunk's verified bytes in memory (used when the disk cannot take them). */
        ByteBuffer fetch(ChunkId id) throws IOException;

        /**
         * Writes the chunk's verified bytes into {@code target} (created or truncated); answers their
         * count. Implementations that can stream should: the default holds the whole chunk in memory.
         */
        default long fetchTo(ChunkId id, Path target) throws IOException {
            return ChunkFiles.write(fetch(id), target);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(ChunkCache.class);
    private static final int READ_RETRIES = 3;

    private final String volume;
    private final Path dir;
    private final long maxBytes;
    private final Fetcher fetcher;
    private final ExecutorService prefetchPool;
    private final Map<ChunkId, CompletableFuture<Source>> inFlight = new ConcurrentHashMap<>();
    /** Chunks queued for prefetch or being prefetched, so a sequential reader does not queue one twice. */
    private final Set<ChunkId> prefetching = ConcurrentHashMap.newKeySet();
    /** Access-ordered index of the cached chunks and their sizes; guarded by itself. */
    private final LinkedHashMap<ChunkId, Long> lru = new LinkedHashMap<>(256, 0.75f, true);
    /** Indexed chunks found on disk at startup whose bytes were not hashed yet; guarded by {@link #lru}. */
    private final Set<ChunkId> unverified = new HashSet<>();
    /** Reads under way per chunk: a chunk being read is never handed over ({@link #handOver}). */
    private final Map<ChunkId, Integer> readers = new ConcurrentHashMap<>();
    private final Predicate<Path> readElsewhere;
    /** The last chunk served from memory because the disk was full (sequential reads hit it again); may be null. */
    private volatile Source.InMemory lastInMemory;
    /** Whether the current spell of a full disk was logged already (logged once, reset by a successful write). */
    private final AtomicBoolean diskFullLogged = new AtomicBoolean();
    private final AtomicLong usedBytes = new AtomicLong();
    private final AtomicLong fetchedBytes = new AtomicLong();

    /** Where a chunk's bytes are: its cache file, or memory when the disk had no room for them. */
    private sealed interface Source {
        record OnDisk(Path file) implements Source {}

        /** {@code cause} is why the bytes could not be cached. */
        record InMemory(ChunkId id, ByteBuffer bytes, IOException cause) implements Source {}
    }

    /**
     * A cache of chunks of {@code volume} (named in log lines) in {@code dir}. {@code readElsewhere} tells
     * the cache files that are still read from outside it (a committed dirty chunk's bytes, read through
     * its relocation until the next commit): those are neither evicted nor handed over.
     */
    public ChunkCache(String volume, Path dir, long maxBytes, int prefetchThreads, Fetcher fetcher,
                      Predicate<Path> readElsewhere) throws IOException {
        this.volume = volume;
        this.readElsewhere = readElsewhere;
        this.dir = Files.createDirectories(dir);
        this.maxBytes = maxBytes;
        this.fetcher = fetcher;
        this.prefetchPool = Executors.newFixedThreadPool(prefetchThreads,
                Thread.ofPlatform().daemon().name("chunk-prefetch-", 0).factory());
        loadIndex();
    }

    /**
     * Rebuilds the index from the files on disk, oldest modification first (a restart keeps the cache
     * warm). The files are not hashed here (a large cache would delay the mount): each is verified on
     * its first use.
     */
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
                    ChunkId id = ChunkId.ofHex(name);
                    lru.put(id, size);
                    unverified.add(id);
                    usedBytes.addAndGet(size);
                } else {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    /**
     * The file holding chunk {@code id}, fetched first if the cache lacks it (or holds a damaged copy).
     *
     * @throws IOException if it cannot be fetched or cannot be written to the disk
     */
    public Path ensure(ChunkId id) throws IOException {
        return switch (obtain(id)) {
            case Source.OnDisk onDisk -> onDisk.file();
            case Source.InMemory memory -> throw new IOException(memory.cause().getMessage(), memory.cause());
        };
    }

    /** Chunk {@code id}'s verified bytes: its cache file, after fetching or verifying it if needed. */
    private Source obtain(ChunkId id) throws IOException {
        Path file = dir.resolve(id.toString());
        synchronized (lru) {
            if (lru.get(id) != null && !unverified.contains(id)) {
                return new Source.OnDisk(file);
            }
        }
        Source.InMemory memory = lastInMemory;
        if (memory != null && memory.id().equals(id)) {
            return memory;
        }
        CompletableFuture<Source> mine = new CompletableFuture<>();
        CompletableFuture<Source> running = inFlight.putIfAbsent(id, mine);
        if (running != null) {
            return join(running);
        }
        try {
            Source source = verified(id, file) ? new Source.OnDisk(file) : fetchInto(id, file);
            mine.complete(source);
            return source;
        } catch (IOException | RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(id);
        }
    }

    /**
     * Whether {@code file} is a cached copy of chunk {@code id} that hashes to its name. A file found
     * at startup is hashed once (the caller is the only one fetching {@code id}); one that does not
     * hash to its name is dropped, so the caller fetches the chunk again.
     */
    private boolean verified(ChunkId id, Path file) throws IOException {
        synchronized (lru) {
            if (lru.get(id) == null) {
                return false;
            }
            if (!unverified.contains(id)) {
                return true;
            }
        }
        ChunkId actual;
        long size;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            size = channel.size();
            actual = ChunkHasher.hash(channel, 0, size);
        } catch (NoSuchFileException e) {
            actual = null;
            size = -1;
        }
        synchronized (lru) {
            if (!unverified.contains(id)) {
                // Evicted, or replaced by a verified copy (a commit adopted it) while this thread hashed.
                return lru.containsKey(id);
            }
            unverified.remove(id);
            if (id.equals(actual)) {
                return true;
            }
            Long indexed = lru.remove(id);
            if (indexed != null) {
                usedBytes.addAndGet(-indexed);
            }
            Files.deleteIfExists(file);
        }
        if (actual != null) {
            LOG.warn("Volume {}: cached chunk {} is damaged ({} bytes that hash to {}); fetching it again",
                    volume, id.abbreviated(), size, actual.abbreviated());
        }
        return false;
    }

    /** Starts fetching chunk {@code id} in the background unless it is cached or already coming. */
    public void prefetch(ChunkId id) {
        synchronized (lru) {
            if (lru.containsKey(id) && !unverified.contains(id)) {
                return;
            }
        }
        if (inFlight.containsKey(id) || !prefetching.add(id)) {
            return;
        }
        try {
            prefetchPool.execute(() -> {
                try {
                    obtain(id);
                } catch (IOException | RuntimeException e) {
                    LOG.debug("Prefetch of chunk {} failed: {}", id.abbreviated(), e.toString());
                } finally {
                    prefetching.remove(id);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            prefetching.remove(id); // closing: a prefetch is only ever a hint
        }
    }

    /**
     * Reads {@code length} bytes at {@code offset} of chunk {@code id} into {@code dst}. When the
     * disk has no room for the chunk, its downloaded bytes are served from memory instead.
     */
    public void read(ChunkId id, long offset, ByteBuffer dst, int length) throws IOException {
        readers.merge(id, 1, Integer::sum);
        try {
            readPinned(id, offset, dst, length);
        } finally {
            readers.computeIfPresent(id, (k, n) -> n == 1 ? null : n - 1);
        }
    }

    private void readPinned(ChunkId id, long offset, ByteBuffer dst, int length) throws IOException {
        for (int attempt = 1; ; attempt++) {
            Path file;
            switch (obtain(id)) {
                case Source.OnDisk onDisk -> file = onDisk.file();
                case Source.InMemory memory -> {
                    readFromMemory(memory, offset, dst, length);
                    return;
                }
            }
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
                    unverified.remove(id);
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

    private static void readFromMemory(Source.InMemory memory, long offset, ByteBuffer dst, int length) throws IOException {
        ByteBuffer bytes = memory.bytes();
        if (offset + length > bytes.remaining()) {
            throw new IOException("Chunk " + memory.id().abbreviated() + " ends before byte " + (offset + length));
        }
        int from = bytes.position() + (int) offset;
        dst.put(bytes.duplicate().position(from).limit(from + length));
    }

    /**
     * Gives chunk {@code id}'s cached file up to a writer that would otherwise copy it (copy on write of a
     * clean chunk), moved to {@code target}: the cache no longer holds the chunk then, and the writer saves
     * a copy (on these VMs a copy into new pages costs as much as the fetch's own write). Only a verified
     * chunk that no read is using, here or from outside the cache, is handed over. Answers whether it moved.
     */
    public boolean handOver(ChunkId id, Path target) {
        Path file = dir.resolve(id.toString());
        synchronized (lru) {
            Long size = lru.get(id);
            if (size == null || unverified.contains(id) || readers.containsKey(id) || readElsewhere.test(file)) {
                return false;
            }
            try {
                Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                LOG.debug("Volume {}: cannot hand cached chunk {} over, copying it: {}", volume, id.abbreviated(), e.toString());
                return false;
            }
            lru.remove(id);
            usedBytes.addAndGet(-size);
            return true;
        }
    }

    /** Takes ownership of {@code file}, whose bytes hash to {@code id} (a committed dirty chunk): moved in, or deleted if already cached. */
    public void adopt(ChunkId id, Path file) throws IOException {
        Path target = dir.resolve(id.toString());
        synchronized (lru) {
            if (lru.containsKey(id) && !unverified.contains(id)) {
                Files.deleteIfExists(file);
                return;
            }
            Long replaced = lru.remove(id);
            if (replaced != null) {
                usedBytes.addAndGet(-replaced);
            }
            Files.move(file, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            long size = Files.size(target);
            lru.put(id, size);
            unverified.remove(id);
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
        return dropOldest(dropped -> dropped < bytes, false);
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

    /**
     * Fetches chunk {@code id} and publishes it as {@code file}: the download streams into a temporary
     * file, verified as it arrives, then takes the chunk's name with an atomic rename, so a crash never
     * leaves a partial file under the chunk's name. When the disk cannot take it, answers the fetched
     * bytes in memory.
     */
    private Source fetchInto(ChunkId id, Path file) throws IOException {
        Path temp;
        try {
            temp = Files.createTempFile(dir, "fetch-", ".tmp");
        } catch (IOException e) {
            return fetchIntoMemory(id, e);
        }
        boolean success = false;
        try {
            long started = System.nanoTime();
            long size = fetcher.fetchTo(id, temp);
            LOG.debug("Volume {}: fetched chunk {} ({} bytes) in {} ms", volume, id.abbreviated(), size,
                    (System.nanoTime() - started) / 1_000_000);
            fetchedBytes.addAndGet(size);
            synchronized (lru) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                unverified.remove(id);
                Long before = lru.put(id, size);
                usedBytes.addAndGet(size - (before == null ? 0 : before));
            }
            success = true;
        } catch (IOException e) {
            if (!isLocalDiskFailure(e)) {
                throw e;
            }
            return fetchIntoMemory(id, e);
        } finally {
            if (!success) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    LOG.debug("Cannot delete temporary cache file {}: {}", temp.getFileName(), e.toString());
                }
            }
        }
        diskFullLogged.set(false);
        lastInMemory = null;
        evict();
        return new Source.OnDisk(file);
    }

    /** A full disk (or a failing one): committed bytes must stay readable, so they are served from memory. */
    private Source fetchIntoMemory(ChunkId id, IOException cause) throws IOException {
        if (diskFullLogged.compareAndSet(false, true)) {
            LOG.warn("Volume {}: cannot write chunk {} to the cache ({}); serving chunks from memory until the disk takes writes again",
                    volume, id.abbreviated(), cause.toString());
        }
        ByteBuffer bytes = fetcher.fetch(id);
        fetchedBytes.addAndGet(bytes.remaining());
        Source.InMemory memory = new Source.InMemory(id, bytes, cause);
        lastInMemory = memory;
        return memory;
    }

    /** Whether a fetch failed because the cache's own disk could not take the bytes (not the network, not S3). */
    private static boolean isLocalDiskFailure(IOException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.nio.file.FileSystemException) {
                return true;
            }
            String message = c.getMessage();
            if (message != null && (message.contains("No space left") || message.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }

    /** Drops least recently used chunks until the cache fits its limit (the newest entry always stays). */
    private void evict() throws IOException {
        dropOldest(dropped -> usedBytes.get() > maxBytes, true);
    }

    /**
     * Drops chunks, least recently used first, while {@code more} holds for the bytes dropped so far;
     * answers them. Files still read from outside the cache stay (the next commit releases them), and so
     * does the newest entry when {@code keepNewest} (the chunk just fetched for a waiting reader).
     */
    private long dropOldest(LongPredicate more, boolean keepNewest) throws IOException {
        long dropped = 0;
        synchronized (lru) {
            Iterator<Map.Entry<ChunkId, Long>> oldest = lru.entrySet().iterator();
            while (more.test(dropped) && oldest.hasNext()) {
                Map.Entry<ChunkId, Long> victim = oldest.next();
                if (keepNewest && !oldest.hasNext()) {
                    break;
                }
                Path file = dir.resolve(victim.getKey().toString());
                if (readElsewhere.test(file)) {
                    continue;
                }
                oldest.remove();
                unverified.remove(victim.getKey());
                usedBytes.addAndGet(-victim.getValue());
                dropped += victim.getValue();
                // Readers with the file open keep reading it: on Linux the bytes live until they close it.
                Files.deleteIfExists(file);
            }
        }
        return dropped;
    }

    private static Source join(CompletableFuture<Source> future) throws IOException {
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
