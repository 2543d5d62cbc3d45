package dev.sail.volumes.client.control;

import java.util.List;
import java.util.Objects;

/** A stash: the uncommitted changes one reload discarded, kept so they can be restored. */
public record StashInfo(String id, String created, long baseSeq, List<String> paths) {
    public StashInfo {
        Objects.requireNonNull(id, "id");
        paths = List.copyOf(paths);
    }
}
