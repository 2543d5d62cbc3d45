package dev.sail.volumes.service.store;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.PackId;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A chunk the org holds in storage: as an object of its own, or as a slice of a pack.
 *
 * @param claimedAt the last time the service told a client the org holds it (or verified it): garbage
 *                  collection leaves it alone for a grace period after that, so that a commit about to
 *                  reference it never loses it
 * @param slice     where in a pack its bytes are, when it was uploaded in one
 */
public record ChunkRecord(ChunkId id, long size, Instant claimedAt, Optional<Slice> slice) {
    /** A chunk's place in a pack: its bytes are the pack's bytes from {@code offset}, {@code size} of them. */
    public record Slice(PackId pack, long offset) {
        public Slice {
            Objects.requireNonNull(pack, "pack");
            if (offset < 0) {
                throw new IllegalArgumentException("A slice starts at offset 0 or later, got " + offset);
            }
        }
    }

    public ChunkRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(claimedAt, "claimedAt");
        Objects.requireNonNull(slice, "slice");
    }

    /** A chunk stored as an object of its own. */
    public ChunkRecord(ChunkId id, long size, Instant claimedAt) {
        this(id, size, claimedAt, Optional.empty());
    }

    /** The same chunk, where it is, claimed at {@code now}. */
    public ChunkRecord claimedAt(Instant now) {
        return new ChunkRecord(id, size, now, slice);
    }
}
