package dev.sail.volumes.client;

import dev.sail.volumes.chunking.PackId;
import java.util.List;
import java.util.Objects;

/** A pack about to be uploaded: its id (the SHA-256 of its bytes), its size, and its chunks back to back, in order. */
public record PackSpec(PackId id, long size, List<ChunkSpec> chunks) {
    public PackSpec {
        Objects.requireNonNull(id, "id");
        chunks = List.copyOf(chunks);
        long sum = chunks.stream().mapToLong(ChunkSpec::size).sum();
        if (chunks.isEmpty() || sum != size) {
            throw new IllegalArgumentException("Pack " + id.abbreviated() + " of " + size + " bytes holds " + chunks.size()
                    + " chunk(s) of " + sum + " bytes");
        }
    }
}
