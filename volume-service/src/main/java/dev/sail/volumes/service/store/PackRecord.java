package dev.sail.volumes.service.store;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.PackId;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A pack a client announced before uploading it: which chunks it holds, in order. Its chunks count as
 * held once storage has the pack; garbage collection deletes the pack once none of them is needed.
 *
 * @param chunks the chunks back to back: each starts where the previous one ends, the first at 0
 */
public record PackRecord(PackId id, long size, List<Member> chunks, Instant createdAt) {
    /** One chunk of the pack and where it starts. */
    public record Member(ChunkId id, long offset, long size) {
        public Member {
            Objects.requireNonNull(id, "id");
        }
    }

    public PackRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(createdAt, "createdAt");
        chunks = List.copyOf(chunks);
        long next = 0;
        for (Member member : chunks) {
            if (member.offset() != next || member.size() <= 0) {
                throw new IllegalArgumentException("Pack " + id.abbreviated() + " is not its chunks back to back at chunk "
                        + member.id().abbreviated());
            }
            next += member.size();
        }
        if (next != size) {
            throw new IllegalArgumentException("Pack " + id.abbreviated() + " holds " + next + " bytes of chunks, not " + size);
        }
    }
}
