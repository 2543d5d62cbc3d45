package dev.sail.volumes.service.store;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.chunking.PackId;
import dev.sail.volumes.manifest.ManifestView;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.function.Consumer;

/**
 * The service's durable state: orgs and hashed API keys, volumes, every version of every path
 * (versioned keys, so reads at any commit are range scans), the per-commit change log, commit
 * history, idempotency records, the per-org chunk registry and the chunks each volume references.
 *
 * <p>Every write that changes what a reader can see is atomic. {@link #commit(CommitWrite)} is
 * durable when it returns. Thread-safe; the caller serializes commits on one volume (the store does
 * not check that the head it is given is still the head).
 *
 * <p>Errors: {@link dev.sail.volumes.service.ServiceException} with code {@code internal} when the
 * underlying storage fails; lookups of things that do not exist answer empty, never throw.
 */
public interface ManifestStore extends AutoCloseable {
    // ---- orgs and keys ----

    /** True when no org exists yet (a new data directory). */
    boolean isEmpty();

    Optional<Org> findOrg(String name);

    /** Creates an org; {@code org_exists} (409) if the name is taken. */
    Org createOrg(String name, Instant now);

    /** Remembers an API key (by its hash) as belonging to {@code caller}. */
    void putApiKey(String keyHash, Caller caller);

    Optional<Caller> findCaller(String keyHash);

    // ---- volumes ----

    /** The org's volumes, sorted by name. */
    List<VolumeRecord> listVolumes(String orgId);

    Optional<VolumeRecord> findVolume(String orgId, VolumeName name);

    /** Creates an empty volume (head 0); empty when the org already has a volume by that name. */
    Optional<VolumeRecord> createVolume(String orgId, VolumeName name, ChunkLayout layout, Instant now);

    /** Removes a volume with its history and chunk references (the chunks themselves go to GC). */
    void deleteVolume(VolumeRecord volume);

    // ---- reads at a sequence ----

    /** The version of {@code path} at {@code atSeq}, delete markers included; the root is always a directory. */
    Optional<Versioned> find(VolumeRecord volume, VolumePath path, long atSeq);

    /**
     * Up to {@code limit} existing children of {@code directory} at {@code atSeq}, sorted by name
     * (UTF-8 byte order, which is code-point order), with names after {@code after} (null: from the first).
     */
    List<Versioned> list(VolumeRecord volume, VolumePath directory, long atSeq, String after, int limit);

    /** Every path written by a commit in ({@code fromSeq}, {@code toSeq}], sorted. */
    SortedSet<VolumePath> changedPaths(VolumeRecord volume, long fromSeq, long toSeq);

    /** Up to {@code limit} commits with a sequence below {@code beforeSeq}, newest first. */
    List<CommitRecord> commits(VolumeRecord volume, long beforeSeq, int limit);

    /**
     * The volume's head as one merge reads it. Valid while the caller holds the volume's commit lock;
     * the caller closes it when the merge is done.
     */
    HeadView head(VolumeRecord volume);

    /**
     * A volume's head for the length of one merge: it may remember what it read (the head does not move
     * under the commit lock) and hold store resources until closed. Not thread-safe.
     */
    interface HeadView extends ManifestView, AutoCloseable {
        /** Releases what the view holds; idempotent. */
        @Override
        void close();
    }

    // ---- commits ----

    Optional<IdempotencyRecord> findIdempotency(VolumeRecord volume, String idempotencyKey);

    /** Stores a commit in one atomic, synced write; durable when this returns. */
    void commit(CommitWrite write);

    /** What pruning did: the volume with its new floor, and how many path versions it dropped. */
    record PruneResult(VolumeRecord volume, long versionsDropped) {
    }

    /**
     * Drops history before {@code floor}: the states at sequences below it become unreadable, path
     * versions no state at or after {@code floor} needs are deleted, the change log up to {@code floor}
     * goes, and the volume's chunk references shrink to those of the versions kept. One atomic write.
     * The caller holds the volume's commit lock and passes its current record.
     */
    PruneResult prune(VolumeRecord volume, long floor);

    // ---- chunks ----

    Optional<ChunkRecord> findChunk(String orgId, ChunkId id);

    /** Registers or refreshes chunks the org holds (not synced: a lost registration only costs a HEAD). */
    void putChunks(String orgId, Collection<ChunkRecord> chunks);

    /**
     * Remembers that upload URLs were handed out for these chunks (not synced): a later plan HEADs only
     * such chunks, to find uploads whose commit never came, and skips the HEAD for chunks never offered.
     */
    void markIssued(String orgId, Collection<ChunkId> chunks, Instant now);

    /** True when an upload URL was handed out for the chunk and the marker is not yet forgotten. */
    boolean wasIssued(String orgId, ChunkId id);

    /** Forgets issue markers older than {@code cutoff}; answers how many. */
    long forgetIssuedBefore(Instant cutoff);

    /** Forgets a chunk the org held (garbage collection deleted it). */
    void removeChunk(String orgId, ChunkId id);

    /**
     * Registers chunks found in storage unless the org already holds them (not synced: a lost registration
     * only costs a check); a chunk already held keeps where it is. Answers the ones registered now.
     */
    List<ChunkRecord> putChunksIfAbsent(String orgId, Collection<ChunkRecord> chunks);

    /** Remembers a pack a client is about to upload (not synced: a lost record only costs a new upload). */
    void putPack(String orgId, PackRecord pack);

    Optional<PackRecord> findPack(String orgId, PackId id);

    /** Forgets a pack and the registrations of its chunks that point into it (garbage collection deleted it). */
    void removePack(String orgId, PackRecord pack);

    /** True when some commit of this volume references the chunk. */
    boolean isReferenced(VolumeRecord volume, ChunkId id);

    /** Calls {@code action} with every chunk any volume of the org references (duplicates possible). */
    void forEachReferencedChunk(String orgId, Consumer<ChunkId> action);

    /** Every org. */
    List<Org> listOrgs();

    @Override
    void close();
}
