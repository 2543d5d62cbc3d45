package dev.sail.volumes.service.gc;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.service.ServiceMetrics;
import dev.sail.volumes.service.storage.ChunkStorage;
import dev.sail.volumes.service.store.ChunkRecord;
import dev.sail.volumes.service.store.ManifestStore;
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
 * Deletes chunk objects that no volume references (deleted volumes, uploads whose commit never came).
 *
 * <p>Safety against a commit about to land: a chunk is deleted only when (1) its object is older than
 * the grace period, (2) the org's registry has not claimed it for a client within the grace period
 * (an upload plan answering "present" claims it), and (3) no volume references it, checked while
 * holding the write side of the chunk lock, which every commit holds the read side of from checking its
 * chunks to writing its batch. So a commit either lands first (and the chunk is referenced) or checks
 * its chunks after the deletion (and fails with {@code missing_chunks}, to upload again). The grace
 * period must exceed the presign expiry plus the longest commit.
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
            long[] examined = {0};
            storage.forEachChunk(chunk -> {
                examined[0]++;
                if (!chunk.lastModified().isAfter(cutoff)) {
                    candidates.computeIfAbsent(chunk.orgId(), org -> new ArrayList<>()).add(chunk);
                }
            });
            long deleted = 0;
            long bytes = 0;
            for (Map.Entry<String, List<ChunkStorage.StoredChunk>> org : candidates.entrySet()) {
                chunkLock.writeLock().lock();
                try {
                    Set<ChunkId> referenced = new HashSet<>();
                    store.forEachReferencedChunk(org.getKey(), referenced::add);
                    for (ChunkStorage.StoredChunk chunk : org.getValue()) {
                        if (referenced.contains(chunk.id()) || claimedRecently(org.getKey(), chunk.id(), cutoff)) {
                            continue;
                        }
                        store.removeChunk(org.getKey(), chunk.id());
                        storage.delete(org.getKey(), chunk.id());
                        deleted++;
                        bytes += chunk.size();
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
