package dev.sail.volumes.service.store;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.manifest.Change;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything one commit stores, written as one atomic, synced batch.
 *
 * @param volume     the volume at its new head ({@code headSeq} is the commit's sequence)
 * @param writes     every path write at the new sequence (the merge's result)
 * @param referenced every chunk the written files reference
 * @param verified   chunks verified in storage for this commit, to register in the org's chunk registry
 * @param idempotencyKey the proposal's key, stored with {@code requestHash} and the outcome
 */
public record CommitWrite(VolumeRecord volume, CommitRecord record, List<Change> writes, Set<ChunkId> referenced,
                          List<ChunkRecord> verified, String idempotencyKey, String requestHash) {
    public CommitWrite {
        Objects.requireNonNull(volume, "volume");
        Objects.requireNonNull(record, "record");
        writes = List.copyOf(writes);
        referenced = Set.copyOf(referenced);
        verified = List.copyOf(verified);
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(requestHash, "requestHash");
        if (record.seq() != volume.headSeq()) {
            throw new IllegalArgumentException("The commit's sequence " + record.seq() + " is not the volume's new head "
                    + volume.headSeq());
        }
    }

    public CommitOutcome outcome() {
        return new CommitOutcome(record.commit(), record.seq(), record.overwritten(), record.changes());
    }
}
