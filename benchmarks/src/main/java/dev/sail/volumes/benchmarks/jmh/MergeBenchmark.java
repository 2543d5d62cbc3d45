package dev.sail.volumes.benchmarks.jmh;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.InMemoryManifest;
import dev.sail.volumes.manifest.Merge;
import dev.sail.volumes.manifest.MergeResult;
import dev.sail.volumes.manifest.VolumePath;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One commit of 10^5 changes merged onto a volume of 10^6 paths (1,000 directories of 1,000 files),
 * built once per trial. The commit mixes what real commits do: 90,000 overwrites of existing files
 * (half of them changed after the committer's base, so they are reported), 9,000 new files in 900
 * new directories (parents created), 990 file deletes and 10 deletes of whole 1,000-file directories.
 *
 * <p>{@code merge} measures {@link Merge#apply} alone (the view is not modified, so every invocation
 * sees the same state); {@code buildCommit} measures validating and sorting the proposal.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx3g")
public class MergeBenchmark {
    static final int DIRS = 1000;
    static final int FILES_PER_DIR = 1000;

    private InMemoryManifest volume;
    private List<Change> changes;
    private CommitProposal proposal;
    private long base;

    private static VolumePath file(int dir, int file) {
        return VolumePath.of(String.format("d%04d/f%04d", dir, file));
    }

    private static Entry.File entry(ChunkId id, int version) {
        return new Entry.File(4096, 0644, version, List.of(id));
    }

    @Setup(Level.Trial)
    public void setUp() {
        ChunkId id = ChunkHasher.hash(new byte[] {1});
        volume = new InMemoryManifest();
        // Two commits of half a million paths each; the second one lands after the base used below.
        for (int half = 0; half < 2; half++) {
            List<Change> initial = new ArrayList<>(DIRS * FILES_PER_DIR / 2);
            for (int d = half * DIRS / 2; d < (half + 1) * DIRS / 2; d++) {
                for (int f = 0; f < FILES_PER_DIR; f++) {
                    initial.add(new Change(file(d, f), entry(id, 0)));
                }
            }
            volume.commit(new CommitProposal(volume.headSeq(), "initial-" + half, "bench", initial));
        }
        base = 1;

        changes = new ArrayList<>(100_000);
        // 90,000 overwrites: 90 files in each of dirs 0..999, except the 10 deleted below.
        for (int d = 0; d < DIRS; d++) {
            if (d % 100 == 99) {
                continue;
            }
            for (int f = 0; f < 90; f++) {
                changes.add(new Change(file(d, f * 10), entry(id, 1)));
            }
        }
        // 990 directories x 90 = 89,100: top up to 90,000 with file 1 of the first 900 of them.
        for (int d = 0; changes.size() < 90_000; d++) {
            if (d % 100 != 99) {
                changes.add(new Change(file(d, 1), entry(id, 1)));
            }
        }
        for (int d = DIRS; d < DIRS + 900; d++) {
            for (int f = 0; f < 10; f++) {
                changes.add(new Change(file(d, f), entry(id, 2)));
            }
        }
        for (int d = 0; changes.size() < 99_990; d++) {
            if (d % 100 != 99) {
                changes.add(new Change(file(d, 5), Entry.DELETED));
            }
        }
        for (int d = 99; d < DIRS; d += 100) {
            changes.add(new Change(VolumePath.of(String.format("d%04d", d)), Entry.DELETED));
        }
        proposal = new CommitProposal(base, "bench", "bench", changes);
        if (proposal.changes().size() != 100_000) {
            throw new IllegalStateException("The benchmark commit has " + proposal.changes().size() + " changes, not 100,000");
        }
        // 90,000 overwrites + 9,000 files and 900 parents + 990 deletes + 10 directories of 1,000 files.
        int writes = Merge.apply(volume, proposal).writes().size();
        if (writes != 110_900) {
            throw new IllegalStateException("The benchmark commit writes " + writes + " paths, not 110,900");
        }
    }

    @Benchmark
    public MergeResult merge() {
        return Merge.apply(volume, proposal);
    }

    @Benchmark
    public CommitProposal buildCommit() {
        return new CommitProposal(base, "bench", "bench", changes);
    }
}
