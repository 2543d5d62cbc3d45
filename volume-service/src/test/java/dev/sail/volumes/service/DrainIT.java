package dev.sail.volumes.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.service.store.Org;
import dev.sail.volumes.service.store.RocksDbManifestStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Graceful shutdown: a commit in flight finishes, a new one is refused with 503, then the drain ends. */
class DrainIT {
    @TempDir
    Path dir;

    @Test
    void drainingLetsCommitsInFlightFinishAndRefusesNewOnes() throws Exception {
        try (RocksDbManifestStore store = RocksDbManifestStore.open(dir);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            InMemoryChunkStorage storage = new InMemoryChunkStorage();
            VolumeOperations operations = new VolumeOperations(store, storage, new ServiceMetrics(),
                    new ChunkLayout(4096, 1 << 20, 65536), Clock.systemUTC(), new ReentrantReadWriteLock());
            Org org = store.createOrg("acme", Instant.now());
            VolumeName name = VolumeName.of("v");
            operations.findOrCreate(org, name, VolumeOperations.MintPolicy.CREATE_IF_MISSING);
            ChunkId chunk = RunningService.idOf(new byte[] {9});
            storage.put(org.id(), chunk, 1, Instant.now());
            CountDownLatch inHead = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            storage.beforeHead = () -> {
                inHead.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            CompletableFuture<VolumeOperations.CommitAnswer> inFlight = CompletableFuture.supplyAsync(() -> operations.commit(org, name,
                    new CommitProposal(0, "k", "m", List.of(new Change(VolumePath.of("f"), new Entry.File(1, 0644, 0, List.of(chunk)))))),
                    threads);
            assertThat(inHead.await(10, TimeUnit.SECONDS)).isTrue();

            CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> operations.drain(Duration.ofSeconds(10)), threads);
            await().atMost(Duration.ofSeconds(10)).until(operations::isDraining);
            assertThatThrownBy(() -> operations.commit(org, name, new CommitProposal(0, "k2", "m", List.of())))
                    .isInstanceOfSatisfying(ServiceException.class, e -> assertThat(e.status()).isEqualTo(503))
                    .hasMessage("The service is shutting down: commit again shortly");
            assertThat(drained).isNotDone();
            release.countDown();

            assertThat(drained.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(inFlight.get(10, TimeUnit.SECONDS).outcome().seq()).isEqualTo(1);
            assertThat(store.findVolume(org.id(), name).orElseThrow().headSeq()).isEqualTo(1);
        }
    }
}
