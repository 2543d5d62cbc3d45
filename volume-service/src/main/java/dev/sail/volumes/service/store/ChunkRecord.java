package dev.sail.volumes.service.store;

import dev.sail.volumes.chunking.ChunkId;
import java.time.Instant;
import java.util.Objects;

/**
 * A chunk the org holds in storage.
 *
 * @param claimedAt the last time the service told a client the org holds it (or verified it): garbage
 *                  collection leaves it alone for a grace period after that, so that a commit about to
 *                  reference it never loses it
 */
public record ChunkRecord(ChunkId id, long size, Instant claimedAt) {
    public ChunkRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(claimedAt, "claimedAt");
    }
}
