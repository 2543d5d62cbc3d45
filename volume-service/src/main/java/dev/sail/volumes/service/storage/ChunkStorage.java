package dev.sail.volumes.service.storage;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.PackId;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Where chunk bytes live: one object per chunk and org, under {@code orgs/<orgId>/chunks/<hex[0:2]>/<hex>},
 * or, for small chunks uploaded together, one object per pack under {@code orgs/<orgId>/packs/<hex[0:2]>/<hex>}
 * (named by the pack's SHA-256) whose chunks are read back by byte range. The service never moves chunk
 * bytes itself: it hands out presigned URLs scoped to one exact key (and range), checks that an object
 * exists with the right size, and deletes objects for garbage collection.
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

    /** A chunk object in storage, as a listing shows it. */
    record StoredChunk(String orgId, ChunkId id, long size, Instant lastModified) {
    }

    /** A pack object in storage, as a listing shows it. */
    record StoredPack(String orgId, PackId id, long size, Instant lastModified) {
    }

    /**
     * A presigned PUT for the chunk; where the backend supports it, the SHA-256 is bound into the signature,
     * which pins the exact bytes (and so the size). {@code size} is for backends that can only bind a length.
     */
    Presigned presignPut(String orgId, ChunkId id, long size);

    /** A presigned GET for the chunk. */
    Presigned presignGet(String orgId, ChunkId id);

    /**
     * A presigned PUT for a pack of {@code size} bytes; where the backend supports it, the pack's SHA-256 is
     * bound into the signature, so storage refuses any other bytes.
     */
    Presigned presignPackPut(String orgId, PackId pack, long size);

    /** A presigned GET of {@code size} bytes of the pack from {@code offset}: one chunk's slice, the range signed. */
    Presigned presignPackSlice(String orgId, PackId pack, long offset, long size);

    /** The stored pack's size, or empty when there is none. */
    OptionalLong packSizeOf(String orgId, PackId pack);

    /** How long presigned URLs stay valid. */
    Duration presignExpiry();

    /** The stored object's size, or empty when there is none. */
    OptionalLong sizeOf(String orgId, ChunkId id);

    /** Calls {@code chunks} for every chunk object and {@code packs} for every pack object of every org. */
    void forEachObject(Consumer<StoredChunk> chunks, Consumer<StoredPack> packs);

    /** Deletes the chunk object; deleting a missing object is not an error. */
    void delete(String orgId, ChunkId id);

    /** Deletes the pack object; deleting a missing object is not an error. */
    void deletePack(String orgId, PackId pack);

    /** The object key of a chunk. */
    static String key(String orgId, ChunkId id) {
        String hex = id.toString();
        return "orgs/" + orgId + "/chunks/" + hex.substring(0, 2) + "/" + hex;
    }

    /** The object key of a pack. */
    static String key(String orgId, PackId pack) {
        String hex = pack.toString();
        return "orgs/" + orgId + "/packs/" + hex.substring(0, 2) + "/" + hex;
    }

    /** The HTTP range of a pack slice. */
    static String range(long offset, long size) {
        return "bytes=" + offset + "-" + (offset + size - 1);
    }

    @Override
    void close();
}
