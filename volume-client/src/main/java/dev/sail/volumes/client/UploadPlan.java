package dev.sail.volumes.client;

import dev.sail.volumes.chunking.ChunkId;
import java.util.List;
import java.util.Set;

/**
 * The service's answer to "which of these chunks do you lack": a presigned PUT for each missing one to
 * upload alone, and, when the client asked for packing, the missing ones small enough to go in a pack.
 */
public record UploadPlan(List<PresignedUrl> uploads, Set<ChunkId> present, Set<ChunkId> packable) {
    public UploadPlan {
        uploads = List.copyOf(uploads);
        present = Set.copyOf(present);
        packable = Set.copyOf(packable);
    }

    /** A plan without packing. */
    public UploadPlan(List<PresignedUrl> uploads, Set<ChunkId> present) {
        this(uploads, present, Set.of());
    }
}
