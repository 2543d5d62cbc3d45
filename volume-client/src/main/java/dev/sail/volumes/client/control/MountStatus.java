package dev.sail.volumes.client.control;

import java.util.List;
import java.util.Objects;

/** A mount's state: its volume and base commit, its uncommitted paths, and its cache use. */
public record MountStatus(String volume, String mountpoint, String binding, long baseSeq, String baseCommit,
                          List<String> dirtyPaths, long cacheBytes, long cacheLimit, long dirtyBytes) {
    public MountStatus {
        Objects.requireNonNull(volume, "volume");
        dirtyPaths = List.copyOf(dirtyPaths);
    }
}
