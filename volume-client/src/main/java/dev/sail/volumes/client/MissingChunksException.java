package dev.sail.volumes.client;

import dev.sail.volumes.chunking.ChunkId;
import java.util.List;

/** The service refused a commit because chunks it references are not in storage (409 {@code missing_chunks}). */
public class MissingChunksException extends VolumeServiceException {
    private final List<ChunkId> chunks;

    public MissingChunksException(String message, List<ChunkId> chunks) {
        super(409, "missing_chunks", message);
        this.chunks = List.copyOf(chunks);
    }

    /** Every referenced chunk the service does not hold: upload these (plan again) and commit again. */
    public List<ChunkId> chunks() {
        return chunks;
    }
}
