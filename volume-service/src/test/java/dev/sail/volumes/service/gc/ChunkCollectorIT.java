package dev.sail.volumes.service.gc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.chunking.PackId;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.service.InMemoryChunkStorage;
import dev.sail.volumes.service.MissingChunksException;
import dev.sail.volumes.service.ServiceMetrics;
import dev.sail.volumes.service.VolumeOperations;
import dev.sail.volumes.service.store.ChunkRecord;
import dev.sail.volumes.service.store.Org;
import dev.sail.volumes.service.store.PackRecord;
import dev.sail.volumes.service.store.RocksDbManifestStore;
import dev.sail.volumes.service.store.VolumeRecord;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Garbage collection against commits, over a real RocksDB store: both orders of the race between a
 * commit that references an unreferenced chunk and a GC pass that wants to delete it, forced exactly.
 */
class ChunkCollectorIT {
    private static final ChunkLayout LAYOUT = new ChunkLayout(4096, 1 << 20, 65536);

    @TempDir
    Path dir;
    RocksDbManifestStore store;
    InMemoryChunkStorage storage;
    ReentrantReadWriteLock chunkLock;
    VolumeOperations operations;
    ChunkCollector collector;
    Org org;
    VolumeName name = VolumeName.of("v");
    ChunkId chunk;
    // Not the common pool: with two cores it has one thread, and the blocked commit would starve the GC.
    final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeEach
    void setUp() throws Exception {
        store = RocksDbManifestStore.open(dir);
        storage = new InMemoryChunkStorage();
        chunkLock = new ReentrantReadWriteLock();
        ServiceMetrics metrics = new ServiceMetrics();
        operations = new VolumeOperations(store, storage, metrics, LAYOUT, Clock.systemUTC(), chunkLock);
        collector = new ChunkCollector(store, storage, chunkLock, Duration.ZERO, Clock.systemUTC(), metrics);
        org = store.createOrg("acme", Instant.now());
        operations.findOrCreate(org, name, VolumeOperations.MintPolicy.CREATE_IF_MISSING);
        chunk = ChunkId.ofDigest(MessageDigest.getInstance("SHA-256").digest(new byte[] {1, 2, 3}));
        // Uploaded long ago and referenced by nothing: garbage, until a commit references it.
        storage.put(org.id(), chunk, 3, Instant.now().minus(Duration.ofDays(1)));
    }

    @AfterEach
    void tearDown() {
        threads.shutdownNow();
        collector.close();
        store.close();
    }

    @Test
    void aCommitThatCheckedItsChunkFirstLandsAndTheChunkSurvives() throws Exception {
        CountDownLatch inHead = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        storage.beforeHead = () -> {
            inHead.countDown();
            awaitQuietly(release);
        };
        CompletableFuture<VolumeOperations.CommitAnswer> commit = CompletableFuture.supplyAsync(() -> commitReferencingChunk(), threads);
        assertThat(inHead.await(10, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<ChunkCollector.Result> gc = CompletableFuture.supplyAsync(collector::collect, threads);
        await().atMost(Duration.ofSeconds(10)).until(chunkLock::hasQueuedThreads);
        release.countDown();

        assertThat(commit.get(10, TimeUnit.SECONDS).outcome().seq()).isEqualTo(1);
        assertThat(gc.get(10, TimeUnit.SECONDS).deleted()).isZero();
        assertThat(storage.contains(org.id(), chunk)).isTrue();
        assertThat(store.isReferenced(volume(), chunk)).isTrue();
    }

    @Test
    void aCommitThatChecksAfterTheDeletionFailsAndChangesNothing() throws Exception {
        CountDownLatch deleting = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        storage.beforeDelete = () -> {
            deleting.countDown();
            awaitQuietly(release);
        };
        CompletableFuture<ChunkCollector.Result> gc = CompletableFuture.supplyAsync(collector::collect, threads);
        assertThat(deleting.await(10, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<VolumeOperations.CommitAnswer> commit = CompletableFuture.supplyAsync(() -> commitReferencingChunk(), threads);
        await().atMost(Duration.ofSeconds(10)).until(chunkLock::hasQueuedThreads);
        release.countDown();

        assertThat(gc.get(10, TimeUnit.SECONDS).deleted()).isEqualTo(1);
        assertThatThrownBy(() -> commit.get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(MissingChunksException.class)
                .cause().hasMessageContaining("Cannot commit volume 'v': 1 chunk missing in storage");
        assertThat(volume().headSeq()).isZero();
        assertThat(storage.contains(org.id(), chunk)).isFalse();
    }

    @Test
    void anUploadPlanNeverClaimsAChunkThatGcIsDeleting() throws Exception {
        store.putChunks(org.id(), List.of(new ChunkRecord(chunk, 3, Instant.now().minus(Duration.ofDays(1)))));
        CountDownLatch deleting = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        storage.beforeDelete = () -> {
            deleting.countDown();
            awaitQuietly(release);
        };
        CompletableFuture<ChunkCollector.Result> gc = CompletableFuture.supplyAsync(collector::collect, threads);
        assertThat(deleting.await(10, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<VolumeOperations.UploadPlan> plan = CompletableFuture.supplyAsync(
                () -> operations.planUploads(org, name, java.util.Map.of(chunk, 3L)), threads);
        await().atMost(Duration.ofSeconds(10)).until(chunkLock::hasQueuedThreads);
        release.countDown();

        assertThat(gc.get(10, TimeUnit.SECONDS).deleted()).isEqualTo(1);
        VolumeOperations.UploadPlan answer = plan.get(10, TimeUnit.SECONDS);
        assertThat(answer.present()).as("a deleted chunk is not present").isEmpty();
        assertThat(answer.uploads()).containsOnlyKeys(chunk);
    }

    @Test
    void keepsReferencedChunksAndReclaimsThoseOfADeletedVolume() {
        commitReferencingChunk();
        assertThat(collector.collect().deleted()).isZero();
        assertThat(storage.contains(org.id(), chunk)).isTrue();

        operations.deleteVolume(org, name);
        ChunkCollector.Result result = collector.collect();

        assertThat(result.deleted()).isEqualTo(1);
        assertThat(result.bytesDeleted()).isEqualTo(3);
        assertThat(storage.contains(org.id(), chunk)).isFalse();
        assertThat(store.findChunk(org.id(), chunk)).isEmpty();
    }

    @Test
    void leavesChunksYoungerThanTheGracePeriod() {
        ChunkCollector patient = new ChunkCollector(store, storage, chunkLock, Duration.ofDays(2), Clock.systemUTC(),
                new ServiceMetrics());
        assertThat(patient.collect().deleted()).isZero();
        assertThat(storage.contains(org.id(), chunk)).isTrue();
    }

    @Test
    void prunedHistoryBecomesUnreadableAndItsChunksAreReclaimed() throws Exception {
        ChunkId newer = ChunkId.ofDigest(MessageDigest.getInstance("SHA-256").digest(new byte[] {4, 5, 6}));
        storage.put(org.id(), newer, 3, Instant.now().minus(Duration.ofDays(1)));
        commitReferencingChunk();
        commit("k2", new Change(VolumePath.of("f"), new Entry.File(3, 0644, 0, List.of(newer))));
        commit("k3", new Change(VolumePath.of("g"), new Entry.Symlink("f", 0)));

        assertThat(operations.pruneHistory(1)).as("versions dropped").isEqualTo(1);

        assertThat(volume().floorSeq()).isEqualTo(3);
        assertThat(operations.stat(org, name, VolumePath.of("f"), java.util.OptionalLong.of(3)).version().entry())
                .isEqualTo(new Entry.File(3, 0644, 0, List.of(newer)));
        assertThatThrownBy(() -> operations.stat(org, name, VolumePath.of("f"), java.util.OptionalLong.of(2)))
                .hasMessage("Commit 2 (at) of volume 'v' is no longer readable: history before 3 was pruned");
        assertThatThrownBy(() -> operations.delta(org, name, 1, java.util.OptionalLong.empty(), null, 10))
                .hasMessageContaining("history before 3 was pruned");
        assertThat(store.isReferenced(volume(), chunk)).isFalse();
        assertThat(store.isReferenced(volume(), newer)).isTrue();
        assertThat(collector.collect().deleted()).isEqualTo(1);
        assertThat(storage.contains(org.id(), chunk)).isFalse();
        assertThat(storage.contains(org.id(), newer)).isTrue();

        commit("k4", new Change(VolumePath.of("f"), Entry.DELETED));
        operations.pruneHistory(1);
        assertThat(store.find(volume(), VolumePath.of("f"), 4)).isEmpty();
        assertThat(operations.list(org, name, VolumePath.ROOT, java.util.OptionalLong.empty(), null, 10).items())
                .extracting(v -> v.path().value()).containsExactly("g");
        assertThat(collector.collect().deleted()).isEqualTo(1);
        assertThat(storage.contains(org.id(), newer)).isFalse();
    }

    private void commit(String key, Change change) {
        long head = volume().headSeq();
        operations.commit(org, name, new CommitProposal(head, key, "m", List.of(change)));
    }

    @Test
    void aPackStaysWhileOneOfItsChunksIsNeededAndGoesWithItsRecordsOnceNoneIs() throws Exception {
        ChunkId a = ChunkId.ofDigest(MessageDigest.getInstance("SHA-256").digest(new byte[] {10}));
        ChunkId b = ChunkId.ofDigest(MessageDigest.getInstance("SHA-256").digest(new byte[] {11, 12}));
        PackId pack = PackId.of(new byte[] {10, 11, 12});
        Instant longAgo = Instant.now().minus(Duration.ofDays(1));
        storage.putPack(org.id(), pack, 3, longAgo);
        store.putPack(org.id(), new PackRecord(pack, 3, List.of(new PackRecord.Member(a, 0, 1), new PackRecord.Member(b, 1, 2)), longAgo));
        store.putChunksIfAbsent(org.id(), List.of(
                new ChunkRecord(a, 1, longAgo, Optional.of(new ChunkRecord.Slice(pack, 0))),
                new ChunkRecord(b, 2, longAgo, Optional.of(new ChunkRecord.Slice(pack, 1)))));
        operations.commit(org, name, new CommitProposal(0, "packed", "m",
                List.of(new Change(VolumePath.of("a"), new Entry.File(1, 0644, 0, List.of(a))))));

        ChunkCollector.Result first = collector.collect();
        assertThat(first.deleted()).as("only the unreferenced chunk object of setUp").isEqualTo(1);
        assertThat(storage.containsPack(org.id(), pack)).as("a is referenced and read from the pack").isTrue();
        assertThat(store.findChunk(org.id(), b)).as("b is kept with its pack").isPresent();

        operations.deleteVolume(org, name);
        ChunkCollector.Result result = collector.collect();

        assertThat(storage.containsPack(org.id(), pack)).isFalse();
        assertThat(result.deleted()).isEqualTo(1);
        assertThat(result.bytesDeleted()).as("the whole pack").isEqualTo(3);
        assertThat(store.findPack(org.id(), pack)).isEmpty();
        assertThat(store.findChunk(org.id(), a)).isEmpty();
        assertThat(store.findChunk(org.id(), b)).isEmpty();
    }

    @Test
    void aPackWhoseChunksAreReadFromElsewhereGoesAndOneWithoutARecordStays() throws Exception {
        PackId duplicate = PackId.of(new byte[] {1, 2, 3});
        PackId unknown = PackId.of(new byte[] {9, 9, 9});
        Instant longAgo = Instant.now().minus(Duration.ofDays(1));
        // The chunk is held alone (its own object) and referenced; a pack also holds it, but reads go to the object.
        store.putChunks(org.id(), List.of(new ChunkRecord(chunk, 3, longAgo)));
        commitReferencingChunk();
        storage.putPack(org.id(), duplicate, 3, longAgo);
        store.putPack(org.id(), new PackRecord(duplicate, 3, List.of(new PackRecord.Member(chunk, 0, 3)), longAgo));
        storage.putPack(org.id(), unknown, 3, longAgo);

        collector.collect();

        assertThat(storage.containsPack(org.id(), duplicate)).as("nothing reads from it").isFalse();
        assertThat(store.findChunk(org.id(), chunk)).as("the chunk's own registration stays").isPresent();
        assertThat(storage.contains(org.id(), chunk)).isTrue();
        assertThat(storage.containsPack(org.id(), unknown)).as("no record says what it holds: kept").isTrue();
    }

    private VolumeOperations.CommitAnswer commitReferencingChunk() {
        return operations.commit(org, name, new CommitProposal(0, "k", "m",
                List.of(new Change(VolumePath.of("f"), new Entry.File(3, 0644, 0, List.of(chunk))))));
    }

    private VolumeRecord volume() {
        return store.findVolume(org.id(), name).orElseThrow();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
