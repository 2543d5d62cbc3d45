package dev.sail.volumes.fuse.core;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The bytes of dirty chunks: one file per chunk under a directory of the state dir, named by a
 * local id. A chunk's bytes past the end of its file are zeros, so a hole costs nothing.
 *
 * <p>A chunk a commit is uploading is <em>sealed</em>: it must not change until the commit ends,
 * so writers copy it to a fresh id first. Ids retired by a commit (moved into the cache) or by a
 * reload (moved into a stash) stay readable through {@link #relocate(long, Path)}, for handles that
 * still hold them.
 *
 * <p>Each chunk counts its changes, so that a hash taken ahead of a commit ({@link #hashAhead}: in the
 * background once a file is closed) is used by the commit only if the chunk did not change since.
 * Thread-safe.
 */
final class DirtyChunks {
    private final Path dir;
    private final AtomicLong nextId;
    private final Set<Long> sealed = ConcurrentHashMap.newKeySet();
    private final Map<Long, Path> relocated = new ConcurrentHashMap<>();
    /**
     * How many relocated ids point at each file: the eviction asks {@link #isRelocationTarget} for every
     * file it looks at, and after a large commit {@link #relocated} holds one id per chunk committed.
     */
    private final Map<Path, Integer> relocationTargets = new ConcurrentHashMap<>();
    /** Changes made to each chunk (absent: none since it was allocated). */
    private final Map<Long, Long> changes = new ConcurrentHashMap<>();
    /** Hashes taken ahead of a commit, with the change count and length they were taken at. */
    private final Map<Long, Hashed> hashed = new ConcurrentHashMap<>();
    /** Hashes being taken ahead right now, by chunk; completed when done. */
    private final Map<Long, CompletableFuture<Void>> hashing = new ConcurrentHashMap<>();

    /** A chunk's hash over its first {@code length} bytes, valid while its change count is {@code changes}. */
    private record Hashed(long changes, long length, ChunkId id) {
    }

    DirtyChunks(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        long max = 0;
        for (long id : existingIds()) {
            max = Math.max(max, id);
        }
        this.nextId = new AtomicLong(max + 1);
    }

    Path dir() {
        return dir;
    }

    /** A fresh id; its file does not exist yet (all zeros). */
    long allocate() {
        return nextId.getAndIncrement();
    }

    /** Makes every later id larger than {@code id} (ids recorded in the local state survive restarts). */
    void reserveAbove(long id) {
        nextId.accumulateAndGet(id + 1, Math::max);
    }

    Path path(long id) {
        return dir.resolve(Long.toString(id));
    }

    /** Where a chunk's bytes are now: its own file, or where a commit or reload moved them. */
    Path locate(long id) {
        Path moved = relocated.get(id);
        return moved != null ? moved : path(id);
    }

    /** Records that chunk {@code id}'s bytes are at {@code newHome} from now on; call it before moving them there. */
    synchronized void relocate(long id, Path newHome) {
        relocationTargets.merge(newHome, 1, Integer::sum);
        Path before = relocated.put(id, newHome);
        if (before != null) {
            untarget(before);
        }
    }

    /** Forgets relocations no reader can still need (those of an earlier commit), so the map stays small. */
    synchronized void forgetRelocations(Collection<Long> ids) {
        for (long id : ids) {
            Path target = relocated.remove(id);
            if (target != null) {
                untarget(target);
            }
        }
    }

    private void untarget(Path file) {
        relocationTargets.computeIfPresent(file, (f, count) -> count == 1 ? null : count - 1);
    }

    /** Reads {@code length} bytes at {@code offset} of chunk {@code id} into {@code dst}; zeros past the file's end. */
    void read(long id, long offset, ByteBuffer dst, int length) throws IOException {
        int limit = dst.position() + length;
        ByteBuffer window = dst.duplicate().limit(limit);
        try (FileChannel channel = openCurrent(id)) {
            long position = offset;
            while (channel != null && window.hasRemaining()) {
                int n = channel.read(window, position);
                if (n < 0) {
                    break;
                }
                position += n;
            }
        }
        while (window.hasRemaining()) {
            window.put((byte) 0);
        }
        dst.position(limit);
    }

    /**
     * Opens chunk {@code id}'s bytes where they are now; null if it has none (never written: a hole).
     * A commit or a reload records a chunk's new home before it moves the file there, so a file that is
     * missing at one of the two places is at the other, or is there once the move is done.
     */
    private FileChannel openCurrent(long id) throws IOException {
        for (int attempt = 0; attempt < 2; attempt++) {
            Path moved = locate(id);
            for (Path candidate : moved.equals(path(id)) ? List.of(moved) : List.of(moved, path(id))) {
                try {
                    return FileChannel.open(candidate, StandardOpenOption.READ);
                } catch (NoSuchFileException e) {
                    // Moving right now, or never written.
                }
            }
        }
        return null;
    }

    /** Whether {@code file} is where a retired chunk's bytes are read from now (see {@link #relocate}). */
    boolean isRelocationTarget(Path file) {
        return relocationTargets.containsKey(file);
    }

    /** Writes the remaining bytes of {@code src} at {@code offset} of chunk {@code id}. */
    void write(long id, long offset, ByteBuffer src) throws IOException {
        checkWritable(id);
        try (FileChannel channel = FileChannel.open(path(id), StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            long position = offset;
            while (src.hasRemaining()) {
                position += channel.write(src, position);
            }
        } finally {
            changed(id);
        }
    }

    /**
     * Makes chunk {@code id} hold the bytes in {@code source} (copy on write of a clean or sealed chunk):
     * {@code takeOver} is offered the chunk's file name first and answers whether it moved a file with
     * those bytes there; if not, {@code source} is copied.
     */
    void fill(long id, Path source, Predicate<Path> takeOver) throws IOException {
        try {
            if (!takeOver.test(path(id))) {
                Files.copy(source, path(id), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            changed(id);
        }
    }

    /** Cuts chunk {@code id} to at most {@code length} bytes, so that bytes past it read as zeros again. */
    void truncate(long id, long length) throws IOException {
        checkWritable(id);
        Path file = path(id);
        if (Files.exists(file) && Files.size(file) > length) {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.truncate(length);
            } finally {
                changed(id);
            }
        }
    }

    /** Makes chunk {@code id}'s file exactly {@code length} bytes (zeros appended as a sparse tail), for hashing and upload. */
    void padTo(long id, long length) throws IOException {
        try (FileChannel channel = FileChannel.open(path(id), StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            long size = channel.size();
            if (size > length) {
                channel.truncate(length);
                changed(id);
            } else if (size < length) {
                // Zeros for zeros: the bytes the chunk reads as stay the same, so a hash taken ahead stays good.
                channel.write(ByteBuffer.wrap(new byte[1]), length - 1);
            }
        }
    }

    /** Forces chunk {@code id}'s bytes (and its length) to the disk; its times need not be (fdatasync). */
    void force(long id) throws IOException {
        try (FileChannel channel = FileChannel.open(path(id), StandardOpenOption.WRITE)) {
            channel.force(false);
        } catch (NoSuchFileException e) {
            // Never written: a hole, nothing to force.
        }
    }

    void delete(long id) throws IOException {
        Files.deleteIfExists(path(id));
        forget(List.of(id));
    }

    /**
     * Counts a change, once it is complete: a hash taken while it was under way finishes before this or
     * sees a count it did not start from, so it is never mistaken for the finished bytes' hash.
     */
    private void changed(long id) {
        changes.merge(id, 1L, Long::sum);
    }

    /** How many changes chunk {@code id} has seen; a hash taken at one count is stale at another. */
    long changes(long id) {
        return changes.getOrDefault(id, 0L);
    }

    /**
     * Hashes the first {@code length} bytes of chunk {@code id} (zeros past its file's end) and keeps the
     * hash for a commit, if the chunk is still at change count {@code changes} once hashed.
     */
    void hashAhead(long id, long length, long changes) throws IOException {
        // A chunk a commit sealed before its turn came is hashed by that commit.
        if (changes(id) != changes || sealed.contains(id)) {
            return;
        }
        CompletableFuture<Void> running = new CompletableFuture<>();
        if (hashing.putIfAbsent(id, running) != null) {
            return;
        }
        try {
            ChunkId hash = hash(id, length);
            // Not for a chunk deleted meanwhile (its counter is gone, and no commit will ask).
            if (changes(id) == changes && Files.exists(path(id))) {
                hashed.put(id, new Hashed(changes, length, hash));
            }
        } finally {
            hashing.remove(id, running);
            running.complete(null);
        }
    }

    /**
     * {@link #hashedAhead}, after waiting for the hash of the chunk being taken right now, if one is: a
     * commit that hashed the chunk again would take CPU from its upload, twice the work for one answer.
     */
    Optional<ChunkId> awaitHashedAhead(long id, long length) {
        CompletableFuture<Void> running = hashing.get(id);
        if (running != null) {
            running.join();
        }
        return hashedAhead(id, length);
    }

    /** The hash taken ahead of chunk {@code id}'s first {@code length} bytes, if it did not change since. */
    Optional<ChunkId> hashedAhead(long id, long length) {
        Hashed known = hashed.get(id);
        return known != null && known.length() == length && known.changes() == changes(id) ? Optional.of(known.id()) : Optional.empty();
    }

    /** Forgets what is known of chunks a commit or a reload moved away. */
    void forget(Collection<Long> ids) {
        for (long id : ids) {
            hashed.remove(id);
            changes.remove(id);
        }
    }

    /** The hash of the first {@code length} bytes of chunk {@code id}, zeros past its file's end. */
    private ChunkId hash(long id, long length) throws IOException {
        MessageDigest digest = ChunkHasher.newDigest();
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(1 << 20, Math.max(1, length)));
        long position = 0;
        try (FileChannel channel = FileChannel.open(path(id), StandardOpenOption.READ)) {
            while (position < length) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), length - position));
                int n = channel.read(buffer, position);
                if (n < 0) {
                    break;
                }
                digest.update(buffer.flip());
                position += n;
            }
        } catch (NoSuchFileException e) {
            // Never written: all zeros.
        }
        byte[] zeros = new byte[(int) Math.min(1 << 20, Math.max(1, length - position))];
        while (position < length) {
            int n = (int) Math.min(zeros.length, length - position);
            digest.update(zeros, 0, n);
            position += n;
        }
        return ChunkId.ofDigest(digest.digest());
    }

    void seal(long id) {
        sealed.add(id);
    }

    void unseal(long id) {
        sealed.remove(id);
    }

    boolean isSealed(long id) {
        return sealed.contains(id);
    }

    /** The bytes on disk held by dirty chunks. */
    long usedBytes() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.mapToLong(f -> f.toFile().length()).sum();
        }
    }

    Set<Long> existingIds() throws IOException {
        Set<Long> ids = new HashSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(f -> {
                try {
                    ids.add(Long.parseLong(f.getFileName().toString()));
                } catch (NumberFormatException e) {
                    // Not a chunk (a leftover temp file): ignored.
                }
            });
        }
        return ids;
    }

    private void checkWritable(long id) {
        if (sealed.contains(id)) {
            throw new IllegalStateException("Dirty chunk " + id + " is sealed by a running commit; copy it first");
        }
    }
}
