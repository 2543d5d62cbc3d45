package dev.sail.volumes.client;

import dev.sail.volumes.chunking.ChunkId;
import java.util.Objects;

/** A chunk a commit references: its id and its size in bytes. */
public record ChunkSpec(ChunkId id, long size) {
    public ChunkSpec {
        Objects.requireNonNull(id, "id");
        if (size <= 0) {
            throw new IllegalArgumentException("A chunk has at least one byte, got " + size + " for " + id.abbreviated());
        }
    }
}
