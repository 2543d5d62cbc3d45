package dev.sail.volumes.service;

import dev.sail.volumes.chunking.ChunkId;
import java.util.List;

/** A commit referenced chunks that are not in storage: 409 {@code missing_chunks}, naming every one. */
public final class MissingChunksException extends ServiceException {
    private final List<ChunkId> chunks;

    public MissingChunksException(String volume, List<ChunkId> chunks) {
        super(409, "missing_chunks", "Cannot commit volume '" + volume + "': " + chunks.size() + " chunk"
                + (chunks.size() == 1 ? "" : "s") + " missing in storage (first " + chunks.getFirst().abbreviated()
                + "…); upload them and commit again");
        this.chunks = List.copyOf(chunks);
    }

    /** Every referenced chunk that is not stored, sorted. */
    public List<ChunkId> chunks() {
        return chunks;
    }
}
