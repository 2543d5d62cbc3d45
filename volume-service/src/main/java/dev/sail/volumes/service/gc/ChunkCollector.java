package dev.sail.volumes.service.gc;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.service.ServiceMetrics;
import dev.sail.volumes.service.storage.ChunkStorage;
import dev.sail.volumes.service.store.ChunkRecord;
import dev.sail.volumes.service.store.ManifestStore;
import dev.sail.volumes.service.store.PackRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes chunk objects that no volume references (deleted volumes, uploads whose commit never came),
 * and packs none of whose chunks is needed.
 *
 * <p>Safety against a commit about to land: a chunk is deleted only when (1) its object is older than
 * the grace period, (2) the org's registry has not claimed it for a client within the grace period
 * (an upload plan answering "present" claims it), and (3) no volume references it, checked while
 * holding the write side of the chunk lock, which every commit holds the read side of from checking its
 * chunks to writing its batch. So a commit either lands first (and the chunk is referenced) or checks
 * its chunks after the deletion (and fails with {@code missing_chunks}, to upload again). The grace
 * period must exceed the presign expiry plus the longest commit.
 *
 * <p>A pack is deleted under the same conditions, applied to each chunk read from it: it stays while one
 * of the chunks the registry places in it is referenced or claimed, so a pack lives as long as its last
 * needed chunk (its other bytes stay until then). A pack with no record is kept: nothing says which
 * chunks may be read from it.
 *
 * <p>Chunks count as referenced while any retained commit of a live volume references them; history
 * pruning ({@link dev.sail.volumes.service.VolumeOperations#pruneHistory}) shrinks that set. Thread-safe;
 * {@link #close()} stops the schedule.
 */
public final class ChunkCollector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkCollector.class);

    private final ManifestStore store;
    private final ChunkStorage storage;
    private final ReadWriteLock chunkLock;
    private final Duration grace;
    private final Clock clock;
    private final ServiceMetrics metrics;
    private final Object passLock = new Object();
    private ScheduledExecutorService schedule;

    /** What one pass did. */
    public record Result(long examined, long deleted, long bytesDeleted) {
    }

    public ChunkCollector(ManifestStore store, ChunkStorage storage, ReadWriteLock chunkLock, Duration grace,
                          Clock clock, ServiceMetrics metrics) {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("The GC grace period cannot be negative: " + grace);
        }
        this.store = store;
        this.storage = storage;
        this.chunkLock = chunkLock;
        this.grace = grace;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Runs {@link #collect()} every {@code interval} on a background thread. */
    public void start(Duration interval) {
        start(interval, () -> { });
    }

    /** Runs {@code beforeEachPass} (history pruning, say), then {@link #collect()}, every {@code interval}. */
    public synchronized void start(Duration interval, Runnable beforeEachPass) {
        if (schedule != null) {
            throw new IllegalStateException("The collector is already scheduled");
        }
        schedule = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("chunk-gc").daemon().factory());
        schedule.scheduleWithFixedDelay(() -> {
            try {
                beforeEachPass.run();
                Result result = collect();
                if (result.deleted() > 0) {
                    LOG.info("GC deleted {} of {} chunk objects examined ({} bytes)", result.deleted(), result.examined(),
                            result.bytesDeleted());
                }
            } catch (RuntimeException e) {
                LOG.warn("GC pass failed; the next one retries: {}", e.getMessage(), e);
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One pass over every chunk object in storage. Passes do not overlap. */
    public Result collect() {
        synchronized (passLock) {
            Instant cutoff = clock.instant().minus(grace);
            Map<String, List<ChunkStorage.StoredChunk>> candidates = new HashMap<>();
            Map<String, List<ChunkStorage.StoredPack>> packCandidates = new HashMap<>();
            long[] examined = {0};
            storage.forEachObject(chunk -> {
                examined[0]++;
                if (!chunk.lastModified().isAfter(cutoff)) {
                    candidates.computeIfAbsent(chunk.orgId(), org -> new ArrayList<>()).add(chunk);
                }
            }, pack -> {
                examined[0]++;
                if (!pack.lastModified().isAfter(cutoff)) {
                    packCandidates.computeIfAbsent(pack.orgId(), org -> new ArrayList<>()).add(pack);
                }
            });
            long deleted = 0;
            long bytes = 0;
            Set<String> orgs = new HashSet<>(candidates.keySet());
            orgs.addAll(packCandidates.keySet());
            for (String org : orgs) {
                chunkLock.writeLock().lock();
                try {
                    Set<ChunkId> referenced = new HashSet<>();
                    store.forEachReferencedChunk(org, referenced::add);
                    for (ChunkStorage.StoredChunk chunk : candidates.getOrDefault(org, List.of())) {
                        if (referenced.contains(chunk.id()) || claimedRecently(org, chunk.id(), cutoff)) {
                            continue;
                        }
                        store.removeChunk(org, chunk.id());
                        storage.delete(org, chunk.id());
                        deleted++;
                        bytes += chunk.size();
                    }
                    for (ChunkStorage.StoredPack stored : packCandidates.getOrDefault(org, List.of())) {
                        Optional<PackRecord> pack = store.findPack(org, stored.id());
                        if (pack.isEmpty() || needed(org, pack.get(), referenced, cutoff)) {
                            continue;
                        }
                        store.removePack(org, pack.get());
                        storage.deletePack(org, stored.id());
                        deleted++;
                        bytes += stored.size();
                    }
                } finally {
                    chunkLock.writeLock().unlock();
                }
            }
            // An upload offered longer ago than the grace period is either stored (and its object is
            // examined here) or never came: its marker has no more use.
            store.forgetIssuedBefore(cutoff);
            metrics.gc(deleted, bytes);
            return new Result(examined[0], deleted, bytes);
        }
    }

    /** Whether some chunk the registry reads from {@code pack} is referenced or was claimed within the grace period. */
    private boolean needed(String orgId, PackRecord pack, Set<ChunkId> referenced, Instant cutoff) {
        for (PackRecord.Member member : pack.chunks()) {
            Optional<ChunkRecord> record = store.findChunk(orgId, member.id());
            boolean readFromHere = record.flatMap(ChunkRecord::slice).map(s -> s.pack().equals(pack.id())).orElse(false);
            if (readFromHere && (referenced.contains(member.id()) || record.get().claimedAt().isAfter(cutoff))) {
                return true;
            }
        }
        return false;
    }

    private boolean claimedRecently(String orgId, ChunkId id, Instant cutoff) {
        Optional<ChunkRecord> record = store.findChunk(orgId, id);
        return record.isPresent() && record.get().claimedAt().isAfter(cutoff);
    }

    @Override
    public synchronized void close() {
        if (schedule != null) {
            schedule.shutdownNow();
            try {
                schedule.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            schedule = null;
        }
    }
}
