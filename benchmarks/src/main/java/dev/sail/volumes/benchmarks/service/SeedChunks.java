package dev.sail.volumes.benchmarks.service;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.ChunkTransfer;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumePath;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * A handful of real 4 KiB chunks, uploaded through presigned PUTs and committed once (in volume
 * {@code seed}), so that the org's chunk registry holds them: commits of any size can then reference
 * them without uploading or HEADing anything. Immutable.
 */
final class SeedChunks {
    static final int SIZE = 4096;
    static final int COUNT = 16;
    static final int FILE_MODE = 0644;

    private final List<ChunkId> ids;

    private SeedChunks(List<ChunkId> ids) {
        this.ids = List.copyOf(ids);
    }

    /** Uploads {@value #COUNT} chunks of {@value #SIZE} random bytes and commits a file for each. */
    static SeedChunks upload(ServiceDriver driver, ChunkTransfer transfer) {
        Random random = new Random(20261123L);
        Map<ChunkId, byte[]> bytes = new HashMap<>();
        List<ChunkId> ids = new ArrayList<>();
        for (int i = 0; i < COUNT; i++) {
            byte[] chunk = new byte[SIZE];
            random.nextBytes(chunk);
            ChunkId id = ChunkHasher.hash(chunk);
            bytes.put(id, chunk);
            ids.add(id);
        }
        String volume = "seed";
        driver.createVolume(volume);
        List<PresignedUrl> urls = driver.planUploads(volume, ids.stream().map(id -> new ChunkSpec(id, SIZE)).toList());
        put(transfer, urls, bytes);
        List<Change> changes = new ArrayList<>();
        for (int i = 0; i < COUNT; i++) {
            changes.add(new Change(VolumePath.of(String.format("chunk-%02d", i)), new Entry.File(SIZE, FILE_MODE, 0, List.of(ids.get(i)))));
        }
        driver.commit(volume, new CommitProposal(0, UUID.randomUUID().toString(), "bench-seed", changes));
        return new SeedChunks(ids);
    }

    /** PUTs each chunk {@code urls} asks for. */
    static void put(ChunkTransfer transfer, List<PresignedUrl> urls, Map<ChunkId, byte[]> bytes) {
        List<ChunkTransfer.Upload> uploads = new ArrayList<>();
        for (PresignedUrl url : urls) {
            byte[] chunk = bytes.get(url.id());
            if (chunk == null) {
                throw new ServiceBenchmarkException("The service asked for chunk " + url.id().abbreviated() + ", which was never offered");
            }
            uploads.add(new ChunkTransfer.Upload(url, chunk.length, () -> ByteBuffer.wrap(chunk)));
        }
        try {
            transfer.uploadAll(uploads, (id, n) -> { });
        } catch (IOException e) {
            throw new ServiceBenchmarkException("Cannot upload " + uploads.size() + " chunks: " + e.getMessage(), e);
        }
    }

    /** A 4 KiB file whose one chunk is seed chunk {@code i % COUNT}. */
    Entry.File file(int i, long mtimeNanos) {
        return new Entry.File(SIZE, FILE_MODE, mtimeNanos, List.of(ids.get(Math.floorMod(i, COUNT))));
    }
}
