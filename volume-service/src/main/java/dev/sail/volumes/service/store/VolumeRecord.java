package dev.sail.volumes.service.store;

import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.manifest.VolumeName;
import java.time.Instant;
import java.util.Objects;

/**
 * A volume as the store keeps it.
 *
 * @param id         a stable opaque id (16 hex characters), used in storage keys
 * @param headSeq    the sequence of the newest commit; 0 for a new, empty volume
 * @param headCommit the id of the newest commit; empty for a new volume
 * @param floorSeq   the oldest sequence still readable: history before it was pruned (0: all history kept)
 */
public record VolumeRecord(String id, String orgId, VolumeName name, long headSeq, String headCommit,
                           Instant createdAt, ChunkLayout layout, long floorSeq) {
    public VolumeRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(orgId, "orgId");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(headCommit, "headCommit");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(layout, "layout");
        if (floorSeq < 0 || floorSeq > headSeq) {
            throw new IllegalArgumentException("The floor " + floorSeq + " of volume '" + name + "' must lie in 0.." + headSeq);
        }
        if (id.length() != 16) {
            throw new IllegalArgumentException("A volume id has 16 characters, got '" + id + "'");
        }
    }

    /** This volume moved to a new head. */
    public VolumeRecord withHead(long seq, String commit) {
        return new VolumeRecord(id, orgId, name, seq, commit, createdAt, layout, floorSeq);
    }

    /** This volume with history before {@code floor} pruned. */
    public VolumeRecord withFloor(long floor) {
        return new VolumeRecord(id, orgId, name, headSeq, headCommit, createdAt, layout, floor);
    }
}
