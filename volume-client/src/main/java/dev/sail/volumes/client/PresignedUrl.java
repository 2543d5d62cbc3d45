package dev.sail.volumes.client;

import dev.sail.volumes.chunking.ChunkId;
import java.net.URI;
import java.util.Map;
import java.util.Objects;

/**
 * A short-lived URL for one chunk (or one pack), with the headers the request must carry; {@code id} is
 * the SHA-256 the bytes behind it must have (a chunk's id, or a pack's hash). A chunk read from a pack
 * has a signed {@code range} header. The URL's signature is a credential: {@link #toString()} leaves it
 * out, and nothing may log {@link #url()}.
 */
public record PresignedUrl(ChunkId id, URI url, Map<String, String> headers) {
    public PresignedUrl {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(url, "url");
        headers = Map.copyOf(headers);
    }

    @Override
    public String toString() {
        return "PresignedUrl[" + id.abbreviated() + " -> " + url.getScheme() + "://" + url.getAuthority() + "/…]";
    }
}
