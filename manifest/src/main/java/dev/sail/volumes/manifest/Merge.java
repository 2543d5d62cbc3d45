package dev.sail.volumes.manifest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The merge rule, written once: a commit applies per path onto the volume's head, not onto the
 * committer's base.
 *
 * <ul>
 *   <li>Every path a commit changes takes the commit's state; paths it does not name keep theirs, so
 *       concurrent commits to different paths all survive and, for one path, the commit the service
 *       applies last wins.</li>
 *   <li>Writing a path creates its missing parent directories. A parent that is currently a file or
 *       symlink is replaced by a directory: no path is ever both.</li>
 *   <li>Deleting a path, or replacing a directory with a file or symlink, deletes the whole subtree.</li>
 *   <li>A directory written over a directory loses nothing (their contents merge per path), so it is
 *       never reported. Every other overwritten or deleted path whose current version is newer than
 *       the committer's base is reported in {@link MergeResult#overwritten()}.</li>
 * </ul>
 *
 * <p>Precisely, a path is reported when this commit replaces its newest version (by writing it,
 * deleting it, turning it into a parent directory, or deleting it with its subtree), that version's
 * sequence is greater than the proposal's base, and it is not a directory replaced by a directory.
 * A delete marker counts as a version: recreating a path that another commit deleted after the base
 * is reported. Deleting a path that does not exist is a no-op: no write, no report. A commit never
 * reports a path it wrote itself (a parent it created for an earlier change, say). The jqwik
 * properties in {@code MergePropertyTest} check this rule against a naive reference model.
 *
 * <p>Pure and deterministic: the result depends only on the view and the proposal. Not thread-safe
 * with respect to the view: the caller serializes commits on one volume.
 */
public final class Merge {
    private Merge() {
    }

    /** Applies {@code proposal} onto {@code head}; the caller stores {@link MergeResult#writes()} at the new sequence. */
    public static MergeResult apply(ManifestView head, CommitProposal proposal) {
        return new Pass(head, proposal.baseSeq()).run(proposal.changes());
    }

    /** One merge: the head plus the writes made so far by this commit. */
    private static final class Pass {
        private final ManifestView head;
        private final long baseSeq;
        private final Map<VolumePath, Entry> pending = new HashMap<>();
        private final TreeMap<VolumePath, Entry> writes = new TreeMap<>();
        private final TreeSet<VolumePath> overwritten = new TreeSet<>();

        Pass(ManifestView head, long baseSeq) {
            this.head = head;
            this.baseSeq = baseSeq;
        }

        MergeResult run(List<Change> changes) {
            for (Change change : changes) {
                if (change.entry().exists()) {
                    ensureParents(change.path());
                    put(change.path(), change.entry());
                } else {
                    delete(change.path());
                }
            }
            List<Change> result = new ArrayList<>(writes.size());
            writes.forEach((path, entry) -> result.add(new Change(path, entry)));
            return new MergeResult(result, List.copyOf(overwritten));
        }

        private void ensureParents(VolumePath path) {
            for (VolumePath ancestor : path.ancestors()) {
                Optional<Entry> current = current(ancestor);
                if (current.isEmpty() || !(current.get() instanceof Entry.Directory)) {
                    put(ancestor, new Entry.Directory(0755, 0));
                }
            }
        }

        /** Sets {@code path} to {@code entry}, deleting what it replaces. */
        private void put(VolumePath path, Entry entry) {
            Optional<Versioned> previous = version(path);
            boolean wasDirectory = previous.map(v -> v.entry() instanceof Entry.Directory).orElse(false);
            if (wasDirectory && !(entry instanceof Entry.Directory)) {
                deleteDescendants(path);
            }
            if (!(wasDirectory && entry instanceof Entry.Directory)) {
                report(previous);
            }
            pending.put(path, entry);
            writes.put(path, entry);
        }

        private void delete(VolumePath path) {
            Optional<Versioned> previous = version(path);
            if (previous.isEmpty() || !previous.get().entry().exists()) {
                return;
            }
            if (previous.get().entry() instanceof Entry.Directory) {
                deleteDescendants(path);
            }
            report(previous);
            pending.put(path, Entry.DELETED);
            writes.put(path, Entry.DELETED);
        }

        private void deleteDescendants(VolumePath directory) {
            List<Versioned> doomed = new ArrayList<>();
            head.forEachDescendant(directory, doomed::add);
            for (Versioned descendant : doomed) {
                if (!pending.containsKey(descendant.path())) {
                    report(Optional.of(descendant));
                    pending.put(descendant.path(), Entry.DELETED);
                    writes.put(descendant.path(), Entry.DELETED);
                }
            }
        }

        private void report(Optional<Versioned> previous) {
            previous.filter(v -> v.seq() > baseSeq).ifPresent(v -> overwritten.add(v.path()));
        }

        /** The path's state as this commit sees it: its own writes first, then the head. */
        private Optional<Entry> current(VolumePath path) {
            if (path.isRoot()) {
                return Optional.of(new Entry.Directory(0755, 0));
            }
            Entry mine = pending.get(path);
            if (mine != null) {
                return mine.exists() ? Optional.of(mine) : Optional.empty();
            }
            return head.find(path).map(Versioned::entry).filter(Entry::exists);
        }

        /**
         * The path's version as this commit sees it. Changes are applied in path order, so a
         * directory is handled before anything under it; a version this commit wrote itself
         * carries sequence 0 and is never reported as overwritten.
         */
        private Optional<Versioned> version(VolumePath path) {
            Entry mine = pending.get(path);
            if (mine != null) {
                return mine.exists() ? Optional.of(new Versioned(path, mine, 0)) : Optional.empty();
            }
            return head.find(path);
        }
    }
}
