package dev.sail.volumes.service.storage;

import dev.sail.volumes.chunking.ChunkId;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Where chunk bytes live: one object per chunk and org, under {@code orgs/<orgId>/chunks/<hex[0:2]>/<hex>}.
 * The service never moves chunk bytes itself: it hands out presigned URLs scoped to one exact key,
 * checks that an object exists with the right size, and deletes objects for garbage collection.
 *
 * <p>Thread-safe. Failures of the storage backend surface as
 * {@link dev.sail.volumes.service.ServiceException} with code {@code storage_unavailable} (503).
 */
public interface ChunkStorage extends AutoCloseable {
    /** A presigned request: the URL (a credential: never log it) and the headers the request must carry. */
    record Presigned(URI url, Map<String, String> headers) {
        public Presigned {
            Objects.requireNonNull(url, "url");
            headers = Map.copyOf(headers);
        }

        @Override
        public String toString() {
            return "Presigned[" + url.getScheme() + "://" + url.getAuthority() + "/…]";
        }
    }

    /** An object in storage, as a listing shows it. */
    record StoredChunk(String orgId, ChunkId id, long size, Instant lastModified) {
    }

    /**
     * A presigned PUT for the chunk; where the backend supports it, the SHA-256 is bound into the signature,
     * which pins the exact bytes (and so the size). {@code size} is for backends that can only bind a length.
     */
    Presigned presignPut(String orgId, ChunkId id, long size);

    /** A presigned GET for the chunk. */
    Presigned presignGet(String orgId, ChunkId id);

    /** How long presigned URLs stay valid. */
    Duration presignExpiry();

    /** The stored object's size, or empty when there is none. */
    OptionalLong sizeOf(String orgId, ChunkId id);

    /** Calls {@code action} for every chunk object of every org. */
    void forEachChunk(Consumer<StoredChunk> action);

    /** Deletes the chunk object; deleting a missing object is not an error. */
    void delete(String orgId, ChunkId id);

    /** The object key of a chunk. */
    static String key(String orgId, ChunkId id) {
        String hex = id.toString();
        return "orgs/" + orgId + "/chunks/" + hex.substring(0, 2) + "/" + hex;
    }

    @Override
    void close();
}
