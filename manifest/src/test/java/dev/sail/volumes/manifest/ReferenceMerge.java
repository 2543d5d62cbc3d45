package dev.sail.volumes.manifest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The merge rule written the naive way, straight from its description, over a plain map of the
 * newest version of every path: whole-map scans, no pending set, no sorted index. The oracle of
 * {@code MergePropertyTest} and {@link ManifestViewContract}; public so that other modules' tests can
 * use it through the manifest test-jar. Not thread-safe.
 */
public final class ReferenceMerge {
    private static final Entry.Directory AUTO_DIR = new Entry.Directory(0755, 0);

    private final Map<VolumePath, Versioned> newest = new HashMap<>();
    private long head;

    /** Applies one commit; returns the overwritten paths and the writes, as Merge reports them. */
    public MergeResult commit(long base, List<Change> changes) {
        long seq = ++head;
        TreeSet<VolumePath> overwritten = new TreeSet<>();
        for (Change change : changes) {
            VolumePath path = change.path();
            if (!change.entry().exists()) {
                Versioned old = newest.get(path);
                if (old != null && old.entry().exists()) {
                    replace(path, Entry.DELETED, base, seq, overwritten);
                }
                continue;
            }
            for (VolumePath ancestor : path.ancestors()) {
                Versioned old = newest.get(ancestor);
                if (old == null || !(old.entry() instanceof Entry.Directory)) {
                    replace(ancestor, AUTO_DIR, base, seq, overwritten);
                }
            }
            replace(path, change.entry(), base, seq, overwritten);
        }
        TreeMap<VolumePath, Entry> writes = new TreeMap<>();
        newest.forEach((path, v) -> {
            if (v.seq() == seq) {
                writes.put(path, v.entry());
            }
        });
        List<Change> writeList = new ArrayList<>();
        writes.forEach((path, entry) -> writeList.add(new Change(path, entry)));
        return new MergeResult(writeList, List.copyOf(overwritten));
    }

    private void replace(VolumePath path, Entry entry, long base, long seq, Set<VolumePath> overwritten) {
        Versioned old = newest.get(path);
        boolean oldIsDir = old != null && old.entry() instanceof Entry.Directory;
        boolean newIsDir = entry instanceof Entry.Directory;
        if (oldIsDir && !newIsDir) {
            for (Versioned v : List.copyOf(newest.values())) {
                if (path.isAncestorOf(v.path()) && v.entry().exists()) {
                    if (v.seq() > base && v.seq() != seq) {
                        overwritten.add(v.path());
                    }
                    newest.put(v.path(), new Versioned(v.path(), Entry.DELETED, seq));
                }
            }
        }
        if (old != null && !(oldIsDir && newIsDir) && old.seq() > base && old.seq() != seq) {
            overwritten.add(path);
        }
        newest.put(path, new Versioned(path, entry, seq));
    }

    public Map<VolumePath, Entry> snapshot() {
        TreeMap<VolumePath, Entry> live = new TreeMap<>();
        newest.forEach((path, v) -> {
            if (v.entry().exists()) {
                live.put(path, v.entry());
            }
        });
        return live;
    }

    /** The newest version of {@code path}, delete markers included, as {@link ManifestView#find} answers. */
    public Optional<Versioned> find(VolumePath path) {
        return Optional.ofNullable(newest.get(path));
    }

    /** The sequence of the last commit applied. */
    public long head() {
        return head;
    }
}
