package dev.sail.volumes.manifest;

import java.util.Objects;

/** An entry together with the commit sequence that wrote it. */
public record Versioned(VolumePath path, Entry entry, long seq) {
    public Versioned {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(entry, "entry");
        if (seq < 0) {
            throw new ManifestException("invalid_entry", "A commit sequence is non-negative, got " + seq);
        }
    }
}
