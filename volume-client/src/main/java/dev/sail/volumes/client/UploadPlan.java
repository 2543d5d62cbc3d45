package dev.sail.volumes.client;

import dev.sail.volumes.chunking.ChunkId;
import java.util.List;
import java.util.Set;

/** The service's answer to "which of these chunks do you lack": a presigned PUT for each missing one. */
public record UploadPlan(List<PresignedUrl> uploads, Set<ChunkId> present) {
    public UploadPlan {
        uploads = List.copyOf(uploads);
        present = Set.copyOf(present);
    }
}
