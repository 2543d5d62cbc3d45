package dev.sail.volumes.fuse.core;

import java.util.Objects;

/** One name in a directory listing with the attributes {@code getattr} reports for it. */
public record DirEntry(String name, Attributes attributes) {
    public DirEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(attributes, "attributes");
    }
}
