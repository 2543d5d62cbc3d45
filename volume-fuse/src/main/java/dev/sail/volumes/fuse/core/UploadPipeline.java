package dev.sail.volumes.fuse.core;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.ChunkTransfer;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.fuse.VolumeFuseException;
import dev.sail.volumes.manifest.VolumeName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * Hashes a commit's dirty chunks and uploads the ones storage lacks, as one pipeline: chunks are
 * hashed in parallel, and whatever has been hashed is planned with the service (one round trip per
 * batch) and starts uploading at once, while the rest is still being hashed. Hashing is far faster
 * than uploading, so the upload starts after the first chunk's hash rather than after the last one's.
 * A chunk whose bytes equal another's is uploaded once. Finished uploads are reported to the service
 * as they finish ({@link UploadVerifier}), so it checks them in storage while the rest still uploads
 * instead of during the commit call.
 *
 * <p>One instance runs one commit's upload; not thread-safe.
 */
final class UploadPipeline {
    /** One dirty chunk to publish: its local id and length. */
    record DirtyChunk(long id, long length) {
    }

    /** What the upload did: chunks and bytes that went up, how long planning and uploading took. */
    record Outcome(Map<Long, ChunkId> hashes, Map<ChunkId, DirtyChunk> byId, int chunksUploaded, long bytesUploaded,
                   long hashMillis, long planMillis, int planCalls) {
    }

    /** Most chunks in one plan request (the service's limit is far above). */
    static final int PLAN_BATCH = 10_000;

    private final VolumeService service;
    private final VolumeName volume;
    private final ChunkTransfer transfer;
    private final LongFunction<Path> files;
    private final int hashThreads;
    private final Synchronizer.Progress progress;
    private final AtomicLong bytesDone = new AtomicLong();
    private final AtomicInteger chunksDone = new AtomicInteger();
    private final AtomicLong bytesTotal = new AtomicLong();
    private final AtomicInteger chunksTotal = new AtomicInteger();
    private UploadVerifier verifier;

    /**
     * @param files       where each dirty chunk's bytes are, by local id
     * @param hashThreads hashes computed at once
     * @param progress    told as chunks finish; may be null
     */
    UploadPipeline(VolumeService service, VolumeName volume, ChunkTransfer transfer, LongFunction<Path> files, int hashThreads,
                   Synchronizer.Progress progress) {
        this.service = service;
        this.volume = volume;
        this.transfer = transfer;
        this.files = files;
        this.hashThreads = hashThreads;
        this.progress = progress;
    }

    /**
     * Hashes every chunk and uploads what storage lacks; returns once every upload finished.
     *
     * @throws IOException when a chunk cannot be read, hashed or uploaded; chunks already uploaded stay
     *                     uploaded, so a rerun uploads only what is left
     */
    Outcome run(List<DirtyChunk> chunks) throws IOException {
        Map<Long, ChunkId> hashes = new HashMap<>();
        Map<ChunkId, DirtyChunk> byId = new LinkedHashMap<>();
        if (chunks.isEmpty()) {
            return new Outcome(hashes, byId, 0, 0, 0, 0, 0);
        }
        long start = System.nanoTime();
        long hashed = start;
        long planNanos = 0;
        int planCalls = 0;
        List<Future<?>> uploads = new ArrayList<>();
        IOException failure = null;
        try (UploadVerifier reports = new UploadVerifier(service, volume);
             ExecutorService hashPool = Executors.newFixedThreadPool(hashThreads, Thread.ofPlatform().daemon().name("commit-hash-", 0).factory());
             ExecutorService uploaders = Executors.newVirtualThreadPerTaskExecutor()) {
            verifier = reports;
            CompletionService<Map.Entry<DirtyChunk, ChunkId>> hashing = new ExecutorCompletionService<>(hashPool);
            for (DirtyChunk chunk : chunks) {
                hashing.submit(() -> Map.entry(chunk, hash(chunk)));
            }
            int pending = chunks.size();
            while (pending > 0 && failure == null) {
                // Everything hashed so far is one batch: the first is waited for, the rest taken as it is.
                List<Map.Entry<DirtyChunk, ChunkId>> done = new ArrayList<>();
                done.add(hashing.take().get());
                for (Future<Map.Entry<DirtyChunk, ChunkId>> next; done.size() < PLAN_BATCH && (next = hashing.poll()) != null; ) {
                    done.add(next.get());
                }
                pending -= done.size();
                if (pending == 0) {
                    hashed = System.nanoTime();
                }
                Map<ChunkId, DirtyChunk> batch = new LinkedHashMap<>();
                for (Map.Entry<DirtyChunk, ChunkId> e : done) {
                    hashes.put(e.getKey().id(), e.getValue());
                    if (byId.putIfAbsent(e.getValue(), e.getKey()) == null) {
                        batch.put(e.getValue(), e.getKey());
                    }
                }
                if (batch.isEmpty()) {
                    continue;
                }
                long planStart = System.nanoTime();
                List<ChunkTransfer.Upload> missing = plan(batch);
                planNanos += System.nanoTime() - planStart;
                planCalls++;
                if (!missing.isEmpty()) {
                    uploads.add(uploaders.submit(() -> {
                        transfer.uploadAll(missing, this::chunkDone);
                        return null;
                    }));
                }
                failure = firstFailure(uploads, false);
            }
            if (failure == null) {
                failure = firstFailure(uploads, true);
            }
        } catch (ExecutionException e) {
            failure = asIOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while hashing the commit's chunks", e);
        } finally {
            verifier = null; // closed: a rerun's uploads are checked by the commit
        }
        if (failure != null) {
            throw failure;
        }
        return new Outcome(hashes, byId, chunksTotal.get(), bytesTotal.get(), (hashed - start) / 1_000_000, planNanos / 1_000_000,
                planCalls);
    }

    /**
     * Uploads every chunk of {@code byId} again, planning it anew (storage lost chunks the service had
     * reported present); answers chunks and bytes that went up.
     */
    long[] uploadAgain(Map<ChunkId, DirtyChunk> byId) throws IOException {
        long chunksBefore = chunksTotal.get();
        long bytesBefore = bytesTotal.get();
        List<ChunkTransfer.Upload> missing = plan(byId);
        transfer.uploadAll(missing, this::chunkDone);
        return new long[] {chunksTotal.get() - chunksBefore, bytesTotal.get() - bytesBefore};
    }

    /** Asks the service which of {@code batch} storage lacks; answers their uploads. */
    private List<ChunkTransfer.Upload> plan(Map<ChunkId, DirtyChunk> batch) throws IOException {
        List<ChunkSpec> specs = new ArrayList<>(batch.size());
        batch.forEach((id, chunk) -> specs.add(new ChunkSpec(id, chunk.length())));
        List<ChunkTransfer.Upload> uploads = new ArrayList<>();
        for (int i = 0; i < specs.size(); i += PLAN_BATCH) {
            UploadPlan plan = service.planUploads(volume, specs.subList(i, Math.min(specs.size(), i + PLAN_BATCH)));
            for (PresignedUrl target : plan.uploads()) {
                DirtyChunk chunk = batch.get(target.id());
                if (chunk == null) {
                    throw new VolumeFuseException("The service asked for chunk " + target.id().abbreviated()
                            + ", which this commit does not hold");
                }
                Path file = files.apply(chunk.id());
                uploads.add(new ChunkTransfer.Upload(target, chunk.length(), () -> ByteBuffer.wrap(Files.readAllBytes(file))));
            }
        }
        long bytes = 0;
        for (ChunkTransfer.Upload upload : uploads) {
            bytes += upload.size();
        }
        report(bytesTotal.addAndGet(bytes), chunksTotal.addAndGet(uploads.size()));
        return uploads;
    }

    private ChunkId hash(DirtyChunk chunk) throws IOException {
        try (FileChannel channel = FileChannel.open(files.apply(chunk.id()), StandardOpenOption.READ)) {
            return ChunkHasher.hash(channel, 0, chunk.length());
        }
    }

    private void chunkDone(ChunkId id, long bytes) {
        if (verifier != null) {
            verifier.uploaded(new ChunkSpec(id, bytes));
        }
        bytesDone.addAndGet(bytes);
        chunksDone.incrementAndGet();
        report(bytesTotal.get(), chunksTotal.get());
    }

    private void report(long totalBytes, int totalChunks) {
        if (progress != null) {
            progress.update(bytesDone.get(), totalBytes, chunksDone.get(), totalChunks);
        }
    }

    /** The failure of the first upload batch that failed, waiting for every batch when {@code all}. */
    private static IOException firstFailure(List<Future<?>> uploads, boolean all) throws InterruptedException {
        IOException failure = null;
        for (Future<?> upload : uploads) {
            if (!all && !upload.isDone()) {
                continue;
            }
            try {
                upload.get();
            } catch (ExecutionException e) {
                IOException cause = asIOException(e.getCause());
                if (failure == null) {
                    failure = cause;
                } else if (failure != cause) {
                    failure.addSuppressed(cause);
                }
            }
        }
        return failure;
    }

    private static IOException asIOException(Throwable t) {
        return switch (t) {
            case IOException io -> io;
            case UncheckedIOException io -> io.getCause();
            case RuntimeException r -> throw r;
            case Error e -> throw e;
            default -> new IOException(t.toString(), t);
        };
    }
}
