package dev.sail.volumes.client;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.Optional;

/**
 * The volume service as the guest sees it: metadata only, never chunk bytes (those move through
 * {@link ChunkTransfer} with the presigned URLs this service hands out). One org, the one whose
 * API key the implementation carries. See {@code docs/api.md} for the HTTP form.
 *
 * <p>Every method throws {@link VolumeServiceException} with the service's error code and message
 * when the service refuses, and {@link ServiceUnavailableException} when it cannot be reached.
 * Implementations are thread-safe.
 */
public interface VolumeService {
    /** Every volume of the org, sorted by name. */
    List<VolumeInfo> listVolumes();

    /** The named volume, or empty when it does not exist. */
    Optional<VolumeInfo> findVolume(VolumeName name);

    /** The named volume, created (empty) if it does not exist yet. */
    VolumeInfo createVolumeIfMissing(VolumeName name);

    /** Deletes the volume; its chunks are reclaimed by garbage collection. */
    void deleteVolume(VolumeName name);

    /** The version of {@code path} at sequence {@code atSeq}, or empty when it does not exist there. */
    Optional<Versioned> stat(VolumeName volume, VolumePath path, long atSeq);

    /**
     * One page of the children of {@code directory} at {@code atSeq}, sorted by name, starting after
     * the name {@code after} (null for the first page).
     */
    Page<Versioned> list(VolumeName volume, VolumePath directory, long atSeq, String after, int limit);

    /**
     * One page of every path whose state at {@code toSeq} differs from its state at {@code fromSeq},
     * with its state at {@code toSeq} (delete markers included), sorted by path, after the path
     * {@code after} (null for the first page).
     */
    Page<Versioned> delta(VolumeName volume, long fromSeq, long toSeq, String after, int limit);

    /** Asks which of {@code chunks} the org lacks; answers a presigned PUT for each of those. */
    UploadPlan planUploads(VolumeName volume, Collection<ChunkSpec> chunks);

    /**
     * As {@link #planUploads}, for a client that packs small chunks: the missing chunks small enough are
     * listed as packable (no URL) and go up in packs ({@link #packUploads}); the others get their PUT.
     */
    UploadPlan planPackedUploads(VolumeName volume, Collection<ChunkSpec> chunks);

    /** Presigned PUTs for packs about to be uploaded, in the same order; their chunks count once {@link #verifyUploads} finds them. */
    List<PackUpload> packUploads(VolumeName volume, List<PackSpec> packs);

    /**
     * Reports chunks just uploaded, before the commit that names them: the service checks that storage
     * holds them and remembers it, so the commit need not check them again. Answers the chunks the org
     * now holds. Optional: a commit checks whatever was not verified this way.
     */
    Set<ChunkId> verifyUploads(VolumeName volume, Collection<ChunkSpec> chunks);

    /**
     * As {@link #verifyUploads(VolumeName, Collection)}, with packs just uploaded too: the chunks of each
     * pack storage holds are registered (and answered) at once. Required for packs: their chunks count
     * as held only once checked this way.
     */
    Set<ChunkId> verifyUploads(VolumeName volume, Collection<ChunkSpec> chunks, Collection<PackSpec> packs);

    /** Publishes a commit; a retry with the same idempotency key answers the first result. */
    CommitResult commit(VolumeName volume, CommitProposal proposal);

    /** Presigned GETs for chunks that the volume's history references. */
    List<PresignedUrl> downloadUrls(VolumeName volume, Collection<ChunkId> chunks);
}
