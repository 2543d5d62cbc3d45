package dev.sail.volumes.client;

import dev.sail.volumes.chunking.PackId;
import java.util.Objects;
import java.util.Optional;

/**
 * Where to PUT a pack (the URL's id is the pack's SHA-256, which storage checks), or nothing when the
 * org holds every chunk of it already.
 */
public record PackUpload(PackId id, Optional<PresignedUrl> upload) {
    public PackUpload {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(upload, "upload");
    }
}
