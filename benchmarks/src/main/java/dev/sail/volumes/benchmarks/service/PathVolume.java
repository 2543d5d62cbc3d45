package dev.sail.volumes.benchmarks.service;

import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.VolumePath;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * A volume of {@code dirs} directories of {@value #FILES_PER_DIR} files of 4 KiB each, every file
 * referencing one of the {@link SeedChunks}, built through the service in big commits (the merge creates
 * the directories). After it is built, {@link #addProbeCommits} adds small commits whose deltas the
 * latency benchmark reads. Not thread-safe.
 */
final class PathVolume {
    static final int FILES_PER_DIR = 100;

    final String name;
    final int dirs;
    private final List<Long> probeSeqs = new ArrayList<>();
    private int probeSize;

    private PathVolume(String name, int dirs) {
        this.name = name;
        this.dirs = dirs;
    }

    /** How many files the volume holds. */
    long files() {
        return (long) dirs * FILES_PER_DIR;
    }

    static VolumePath dir(int d) {
        return VolumePath.of(String.format("d%05d", d));
    }

    static VolumePath file(int d, int f) {
        return VolumePath.of(String.format("d%05d/f%02d", d, f));
    }

    /**
     * Creates the volume and commits {@code files} files, {@code filesPerCommit} per commit; each
     * commit's wall time (seconds) is appended to {@code commitSeconds}.
     */
    static PathVolume build(ServiceDriver driver, SeedChunks seeds, String name, long files, int filesPerCommit,
                            List<Double> commitSeconds) {
        if (files % FILES_PER_DIR != 0 || filesPerCommit % FILES_PER_DIR != 0) {
            throw new IllegalArgumentException("File counts must be multiples of " + FILES_PER_DIR);
        }
        PathVolume volume = new PathVolume(name, (int) (files / FILES_PER_DIR));
        driver.createVolume(name);
        int dirsPerCommit = filesPerCommit / FILES_PER_DIR;
        for (int first = 0; first < volume.dirs; first += dirsPerCommit) {
            CommitProposal proposal = volume.rewrite(driver.head(name), seeds, first, Math.min(volume.dirs, first + dirsPerCommit), 1);
            long start = System.nanoTime();
            driver.commit(name, proposal);
            commitSeconds.add((System.nanoTime() - start) / 1e9);
        }
        return volume;
    }

    /**
     * A commit (re)writing every file of directories [{@code fromDir}, {@code toDir}) with modification
     * time {@code mtime} and, for a rewrite ({@code mtime} > 1), another chunk than the first write.
     */
    CommitProposal rewrite(long baseSeq, SeedChunks seeds, int fromDir, int toDir, long mtime) {
        List<Change> changes = new ArrayList<>((toDir - fromDir) * FILES_PER_DIR);
        for (int d = fromDir; d < toDir; d++) {
            for (int f = 0; f < FILES_PER_DIR; f++) {
                changes.add(new Change(file(d, f), seeds.file(d * FILES_PER_DIR + f + (int) mtime, mtime)));
            }
        }
        return new CommitProposal(baseSeq, UUID.randomUUID().toString(), "bench-build", changes);
    }

    /** Adds {@code count} commits, each rewriting {@code size} random files, for the delta benchmark. */
    void addProbeCommits(ServiceDriver driver, SeedChunks seeds, int count, int size, Random random) {
        probeSize = size;
        for (int i = 0; i < count; i++) {
            List<Change> changes = new ArrayList<>();
            List<VolumePath> chosen = new ArrayList<>();
            while (chosen.size() < size) {
                VolumePath path = file(random.nextInt(dirs), random.nextInt(FILES_PER_DIR));
                if (!chosen.contains(path)) {
                    chosen.add(path);
                    changes.add(new Change(path, seeds.file(random.nextInt(), 2 + i)));
                }
            }
            long seq = driver.commit(name, new CommitProposal(driver.head(name), UUID.randomUUID().toString(), "bench-probe", changes));
            probeSeqs.add(seq);
        }
    }

    /** Sequences of the probe commits; the delta from {@code seq - 1} to each holds {@link #probeSize()} paths. */
    List<Long> probeSeqs() {
        return List.copyOf(probeSeqs);
    }

    int probeSize() {
        return probeSize;
    }
}
