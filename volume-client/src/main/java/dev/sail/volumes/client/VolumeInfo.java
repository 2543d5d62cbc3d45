package dev.sail.volumes.client;

import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.manifest.VolumeName;
import java.time.Instant;
import java.util.Objects;

/** A volume as the service describes it: its head and the chunk layout its files use. */
public record VolumeInfo(VolumeName name, String id, long headSeq, String headCommit, Instant createdAt, ChunkLayout chunkLayout) {
    public VolumeInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(chunkLayout, "chunkLayout");
    }
}
