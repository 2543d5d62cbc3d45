package dev.sail.volumes.benchmarks.service;

import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.VolumePath;
import java.util.List;

/**
 * The volume service as the benchmarks drive it, in the one org {@code default}: over HTTP
 * ({@link HttpServiceDriver}, what a guest sees) or in process on the same RocksDB store
 * ({@link InProcessServiceDriver}, what the store and merge cost without HTTP and JSON).
 *
 * <p>Implementations are thread-safe. Errors from the service surface unchanged (unchecked).
 */
interface ServiceDriver extends AutoCloseable {
    /** {@code http} or {@code in-process}: how the report names this driver. */
    String name();

    /** Creates the volume when it does not exist. */
    void createVolume(String volume);

    /** The sequence of the volume's newest commit. */
    long head(String volume);

    /** Presigned PUTs for the chunks the org does not hold yet. */
    List<PresignedUrl> planUploads(String volume, List<ChunkSpec> chunks);

    /** Publishes a commit; answers its sequence. */
    long commit(String volume, CommitProposal proposal);

    /** Whether {@code path} exists at {@code seq}. */
    boolean stat(String volume, VolumePath path, long seq);

    /** How many children one page of {@code directory} at {@code seq} holds (at most {@code limit}). */
    int list(String volume, VolumePath directory, long seq, int limit);

    /** How many paths one page of the delta between {@code from} and {@code to} holds (at most {@code limit}). */
    int delta(String volume, long from, long to, int limit);

    /**
     * A driver for one more concurrent client: over HTTP a client with its own connections (closed with
     * this driver), in process this same driver.
     */
    ServiceDriver newClient();

    @Override
    void close();
}
