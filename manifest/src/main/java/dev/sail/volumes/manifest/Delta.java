package dev.sail.volumes.manifest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The difference between two states of a volume, path by path: what a mount applies to move from
 * one commit to another, and what the service's {@code delta} endpoint lists.
 *
 * <p>A <em>state</em> maps every existing path to its entry (as {@link InMemoryManifest#snapshot()}
 * gives it); it holds no delete markers. The root is implicit: a state may hold it as a directory,
 * and a root present in one state but absent from the other is not a difference.
 *
 * <p>Pure functions; thread-safe. Neither method modifies its arguments.
 */
public final class Delta {
    private Delta() {
    }

    /**
     * The changes that turn {@code from} into {@code to}: one for every path whose entry differs,
     * carrying its entry in {@code to}, or {@link Entry#DELETED} when {@code to} lacks it. Sorted by
     * path. A deleted subtree is listed path by path, so applying the changes one path at a time
     * (as {@link #apply} does) is exact.
     *
     * @throws ManifestException with code {@code invalid_entry} if a state holds a delete marker, or
     *                           {@code invalid_change} if a state holds the root as a non-directory
     */
    public static List<Change> between(Map<VolumePath, Entry> from, Map<VolumePath, Entry> to) {
        checkState(from, "from");
        checkState(to, "to");
        TreeSet<VolumePath> paths = new TreeSet<>(from.keySet());
        paths.addAll(to.keySet());
        List<Change> changes = new ArrayList<>();
        for (VolumePath path : paths) {
            Entry before = from.get(path);
            Entry after = to.get(path);
            if (Objects.equals(before, after) || (path.isRoot() && after == null)) {
                continue;
            }
            changes.add(new Change(path, after == null ? Entry.DELETED : after));
        }
        return List.copyOf(changes);
    }

    /**
     * {@code state} with {@code changes} applied one path at a time: an existing entry replaces the
     * path's entry, {@link Entry#DELETED} removes that path alone (its descendants only when the
     * changes list them too, as {@link #between} does). Returns a new sorted map.
     */
    public static SortedMap<VolumePath, Entry> apply(Map<VolumePath, Entry> state, List<Change> changes) {
        checkState(state, "state");
        TreeMap<VolumePath, Entry> result = new TreeMap<>(state);
        for (Change change : changes) {
            if (change.entry().exists()) {
                result.put(change.path(), change.entry());
            } else {
                result.remove(change.path());
            }
        }
        return result;
    }

    private static void checkState(Map<VolumePath, Entry> state, String name) {
        state.forEach((path, entry) -> {
            if (!entry.exists()) {
                throw new ManifestException("invalid_entry", "A state holds existing entries only, but '" + name
                        + "' holds a delete marker at '" + path + "'");
            }
            if (path.isRoot() && !(entry instanceof Entry.Directory)) {
                throw new ManifestException("invalid_change", "The volume root is always a directory, but '" + name
                        + "' holds " + entry);
            }
        });
    }
}
