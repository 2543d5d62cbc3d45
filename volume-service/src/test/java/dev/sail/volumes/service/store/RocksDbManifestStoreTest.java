package dev.sail.volumes.service.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.Versioned;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.PerfContext;
import org.rocksdb.PerfLevel;

/**
 * The store's reads stay inside their volume's keys: next to a deleted volume, whose keys RocksDB
 * keeps (as deleted) until compaction, a read that finds nothing must not step over them. Counted
 * with RocksDB's own per-thread counters of the steps its iterators take, not with a clock.
 */
class RocksDbManifestStoreTest {
    private static final int DELETED_PATHS = 20_000;
    private static final ChunkId CHUNK = ChunkId.ofDigest(new byte[32]);
    private static final Entry.File FILE = new Entry.File(4096, 0644, 1, List.of(CHUNK));

    @TempDir
    Path dir;
    RocksDbManifestStore store;
    VolumeRecord volume;

    @BeforeEach
    void setUp() {
        store = RocksDbManifestStore.open(dir);
        Org org = store.createOrg("acme", Instant.now());
        volume = store.createVolume(org.id(), VolumeName.of("kept"), ChunkLayout.STANDARD, Instant.now()).orElseThrow();
        volume = commit(volume, List.of(new Change(VolumePath.of("a/present"), FILE)));
        // A neighbour whose keys sort right after this volume's, filled, then deleted.
        VolumeRecord neighbour;
        int attempt = 0;
        do {
            neighbour = store.createVolume(org.id(), VolumeName.of("n" + attempt++), ChunkLayout.STANDARD, Instant.now())
                    .orElseThrow();
        } while (neighbour.id().compareTo(volume.id()) < 0);
        List<Change> changes = new ArrayList<>();
        for (int i = 0; i < DELETED_PATHS; i++) {
            changes.add(new Change(VolumePath.of("a/f" + i), FILE));
        }
        store.deleteVolume(commit(neighbour, changes));
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    @Test
    void readsThatFindNothingDoNotStepOverADeletedVolume() {
        PerfContext counters = startCounting();
        try (ManifestStore.HeadView head = store.head(volume)) {
            for (int i = 0; i < 100; i++) {
                assertThat(head.find(VolumePath.of("z/new" + i))).isEmpty();
            }
        }
        assertThat(store.find(volume, VolumePath.of("z/other"), volume.headSeq())).isEmpty();
        assertThat(store.list(volume, VolumePath.of("z"), volume.headSeq(), null, 100)).isEmpty();
        assertThat(store.changedPaths(volume, volume.headSeq(), volume.headSeq())).isEmpty();
        assertThat(store.commits(volume, 1, 10)).isEmpty();
        assertThat(store.prune(volume, volume.headSeq()).versionsDropped()).isZero();

        // The deleted keys are still in the memtable, under a range tombstone: an unbounded read steps over
        // each of them (2 x 10^6 steps here), which RocksDB counts as memtable nexts, not as skipped keys.
        long steps = counters.getNextOnMemtableCount() + counters.getInternalKeySkippedCount()
                + counters.getInternalDeleteSkippedCount();
        assertThat(steps).as("keys the reads stepped over").isLessThan(1_000);
    }

    @Test
    void boundedReadsStillFindWhatIsThere() {
        VolumePath present = VolumePath.of("a/present");
        try (ManifestStore.HeadView head = store.head(volume)) {
            assertThat(head.find(present)).map(Versioned::entry).contains(FILE);
        }
        assertThat(store.find(volume, present, volume.headSeq())).map(Versioned::seq).contains(1L);
        assertThat(store.list(volume, VolumePath.of("a"), volume.headSeq(), null, 100)).extracting(Versioned::path)
                .containsExactly(present);
        assertThat(store.changedPaths(volume, 0, volume.headSeq())).containsExactly(present);
        assertThat(store.commits(volume, volume.headSeq() + 1, 10)).extracting(CommitRecord::seq).containsExactly(1L);
        assertThat(store.find(volume, VolumePath.of("a/f1"), volume.headSeq())).isEmpty();
    }

    private PerfContext startCounting() {
        store.database().setPerfLevel(PerfLevel.ENABLE_COUNT);
        PerfContext counters = store.database().getPerfContext();
        counters.reset();
        return counters;
    }

    private VolumeRecord commit(VolumeRecord before, List<Change> writes) {
        long seq = before.headSeq() + 1;
        VolumeRecord after = before.withHead(seq, "c" + seq);
        store.commit(new CommitWrite(after, new CommitRecord("c" + seq, seq, Instant.now(), "mount", writes.size(), List.of()),
                writes, Set.of(CHUNK), List.of(), "key-" + seq, "hash-" + seq));
        return after;
    }
}
