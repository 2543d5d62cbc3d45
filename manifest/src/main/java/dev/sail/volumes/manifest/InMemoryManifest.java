package dev.sail.volumes.manifest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A volume's state in memory: the newest version of every path ever written, delete markers
 * included. The reference implementation of {@link ManifestView} for tests and benchmarks.
 * Not thread-safe.
 */
public final class InMemoryManifest implements ManifestView {
    private final TreeMap<VolumePath, Versioned> newest = new TreeMap<>();
    private long headSeq;

    /** The sequence of the last commit applied; 0 for an empty volume. */
    public long headSeq() {
        return headSeq;
    }

    /**
     * Merges {@code proposal} onto this state as commit {@code headSeq() + 1} and returns what it did.
     *
     * @throws ManifestException with code {@code stale_base} if the proposal's base is ahead of the head
     */
    public MergeResult commit(CommitProposal proposal) {
        if (proposal.baseSeq() > headSeq) {
            throw new ManifestException("stale_base", "Cannot commit on base sequence " + proposal.baseSeq()
                    + ": the head is at " + headSeq);
        }
        MergeResult result = Merge.apply(this, proposal);
        headSeq++;
        for (Change write : result.writes()) {
            newest.put(write.path(), new Versioned(write.path(), write.entry(), headSeq));
        }
        return result;
    }

    @Override
    public Optional<Versioned> find(VolumePath path) {
        return Optional.ofNullable(newest.get(path));
    }

    @Override
    public void forEachDescendant(VolumePath directory, Consumer<Versioned> action) {
        forEachInSubtree(directory, v -> {
            if (v.entry().exists()) {
                action.accept(v);
            }
        });
    }

    /** Every existing path and its entry, sorted; a fresh copy. */
    public Map<VolumePath, Entry> snapshot() {
        TreeMap<VolumePath, Entry> live = new TreeMap<>();
        newest.forEach((path, v) -> {
            if (v.entry().exists()) {
                live.put(path, v.entry());
            }
        });
        return live;
    }

    /** The existing children of {@code directory}, sorted by name. */
    public List<Versioned> list(VolumePath directory) {
        List<Versioned> children = new ArrayList<>();
        forEachInSubtree(directory, v -> {
            if (v.entry().exists() && v.path().parent().orElseThrow().equals(directory)) {
                children.add(v);
            }
        });
        return children;
    }

    /** Visits the newest version of every path strictly under {@code directory}, delete markers included, in path order. */
    private void forEachInSubtree(VolumePath directory, Consumer<Versioned> action) {
        // Component order keeps a subtree contiguous right after its root.
        for (Map.Entry<VolumePath, Versioned> e : newest.tailMap(directory, false).entrySet()) {
            if (!directory.isAncestorOf(e.getKey())) {
                break;
            }
            action.accept(e.getValue());
        }
    }
}
