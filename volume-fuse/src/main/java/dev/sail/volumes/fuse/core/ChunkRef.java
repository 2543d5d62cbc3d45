package dev.sail.volumes.fuse.core;

import dev.sail.volumes.chunking.ChunkId;
import java.util.Objects;

/**
 * Where one chunk of a file lives: a published chunk named by its hash (bytes from the cache, or
 * fetched), or a dirty chunk whose bytes are a local file written since the base.
 */
sealed interface ChunkRef {
    /** A chunk the service holds, unchanged since it was read from the base. */
    record Clean(ChunkId id) implements ChunkRef {
        public Clean {
            Objects.requireNonNull(id, "id");
        }
    }

    /** A chunk written locally: its bytes are the dirty chunk file {@code id} (zeros past its end). */
    record Dirty(long id) implements ChunkRef {
    }
}
