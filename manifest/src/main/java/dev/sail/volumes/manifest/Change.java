package dev.sail.volumes.manifest;

import java.util.Objects;

/** One path's new state in a commit. {@link Entry.Deleted} deletes the path and everything under it. */
public record Change(VolumePath path, Entry entry) {
    public Change {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(entry, "entry");
        if (path.isRoot() && !(entry instanceof Entry.Directory)) {
            throw new ManifestException("invalid_change", "The volume root is always a directory: it cannot be "
                    + (entry.exists() ? "replaced" : "deleted"));
        }
    }
}
