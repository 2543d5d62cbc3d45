package dev.sail.volumes.fuse.core;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.PackId;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.ChunkTransfer;
import dev.sail.volumes.client.PackSpec;
import dev.sail.volumes.client.PackUpload;
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
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hashes a commit's dirty chunks and uploads the ones storage lacks, as one pipeline: chunks are
 * hashed in parallel, and whatever has been hashed is planned with the service (one round trip per
 * batch) and starts uploading at once, while the rest is still being hashed. Hashing is far faster
 * than uploading, so the upload starts after the first chunk's hash rather than after the last one's.
 * A chunk whose bytes equal another's is uploaded once. Finished uploads are reported to the service
 * as they finish ({@link UploadVerifier}), so it checks them in storage while the rest still uploads
 * instead of during the commit call.
 *
 * <p>Small chunks the service lacks (it says which are packable) go up in packs: up to
 * {@value #PACK_BYTES} bytes of them back to back in one object named by its SHA-256, one PUT and one
 * check for many small files instead of one of each per file. A pack's bytes are built only when its
 * upload starts, so memory stays within the transfer's byte budget.
 *
 * <p>One instance runs one commit's upload; not thread-safe.
 */
final class UploadPipeline {
    /** One dirty chunk to publish: its local id and length. */
    record DirtyChunk(long id, long length) {
    }

    /** What the upload did: chunks and bytes that went up (alone or in packs), how long planning and uploading took. */
    record Outcome(Map<Long, ChunkId> hashes, Map<ChunkId, DirtyChunk> byId, int chunksUploaded, long bytesUploaded,
                   int packsUploaded, long hashMillis, long planMillis, int planCalls) {
    }

    /** What one plan answered: chunks to upload alone, and chunks to upload in packs. */
    private record Planned(List<ChunkTransfer.Upload> alone, List<Map.Entry<ChunkId, DirtyChunk>> packable) {
    }

    /** Most chunks in one plan request (the service's limit is far above). */
    static final int PLAN_BATCH = 10_000;
    /** The size a pack is filled up to. */
    static final int PACK_BYTES = 8 << 20;
    /** The most chunks in one pack. */
    static final int PACK_CHUNKS = 4096;
    /** The most packs announced in one request (the service's limit). */
    static final int PACK_REQUEST = 1000;
    /** Chunks this small are worth packing (the service decides which; it packs up to 1 MiB). */
    static final long SMALL_CHUNK = 1L << 20;
    /** Packing is asked for when a plan holds at least this many small chunks. */
    static final int PACK_AT_LEAST = 8;

    private final VolumeService service;
    private final VolumeName volume;
    private final ChunkTransfer transfer;
    private final DirtyChunks dirty;
    private final int hashThreads;
    private final Synchronizer.Progress progress;
    private final AtomicLong bytesDone = new AtomicLong();
    private final AtomicInteger chunksDone = new AtomicInteger();
    private final AtomicLong bytesTotal = new AtomicLong();
    private final AtomicInteger chunksTotal = new AtomicInteger();
    private final AtomicInteger packsUploaded = new AtomicInteger();
    private UploadVerifier verifier;

    /**
     * @param dirty       the dirty chunks' bytes, and the hashes taken of them ahead of the commit
     * @param hashThreads hashes computed at once
     * @param progress    told as chunks finish; may be null
     */
    UploadPipeline(VolumeService service, VolumeName volume, ChunkTransfer transfer, DirtyChunks dirty, int hashThreads,
                   Synchronizer.Progress progress) {
        this.service = service;
        this.volume = volume;
        this.transfer = transfer;
        this.dirty = dirty;
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
            return new Outcome(hashes, byId, 0, 0, 0, 0, 0, 0);
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
            // Chunks hashed ahead (their file was closed, and they did not change since) need no hashing
            // now: they make the first batch, and the others follow as they are hashed (or, for a chunk
            // whose hash is being taken ahead right now, as that hash is done).
            List<Map.Entry<DirtyChunk, ChunkId>> ready = new ArrayList<>();
            int pending = 0;
            for (DirtyChunk chunk : chunks) {
                Optional<ChunkId> ahead = dirty.hashedAhead(chunk.id(), chunk.length());
                if (ahead.isPresent()) {
                    ready.add(Map.entry(chunk, ahead.get()));
                } else {
                    hashing.submit(() -> Map.entry(chunk, hashOnce(chunk)));
                    pending++;
                }
            }
            while ((pending > 0 || !ready.isEmpty()) && failure == null) {
                // Everything hashed so far is one batch: if nothing is, the next hash is waited for.
                List<Map.Entry<DirtyChunk, ChunkId>> done = new ArrayList<>(ready);
                ready.clear();
                if (done.isEmpty()) {
                    done.add(hashing.take().get());
                    pending--;
                }
                for (Future<Map.Entry<DirtyChunk, ChunkId>> next; pending > 0 && (next = hashing.poll()) != null; pending--) {
                    done.add(next.get());
                }
                if (pending == 0 && hashed == start) {
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
                Planned planned = plan(batch);
                planNanos += System.nanoTime() - planStart;
                planCalls++;
                if (!planned.alone().isEmpty()) {
                    uploads.add(uploaders.submit(() -> {
                        transfer.uploadAll(planned.alone(), this::chunkDone);
                        return null;
                    }));
                }
                if (!planned.packable().isEmpty()) {
                    uploads.add(uploaders.submit(() -> {
                        uploadPacks(planned.packable());
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
        return new Outcome(hashes, byId, chunksTotal.get(), bytesTotal.get(), packsUploaded.get(), (hashed - start) / 1_000_000,
                planNanos / 1_000_000, planCalls);
    }

    /**
     * Uploads every chunk of {@code byId} again, planning it anew (storage lost chunks the service had
     * reported present); answers chunks and bytes that went up.
     */
    long[] uploadAgain(Map<ChunkId, DirtyChunk> byId) throws IOException {
        long chunksBefore = chunksTotal.get();
        long bytesBefore = bytesTotal.get();
        Planned planned = plan(byId);
        transfer.uploadAll(planned.alone(), this::chunkDone);
        if (!planned.packable().isEmpty()) {
            uploadPacks(planned.packable());
        }
        return new long[] {chunksTotal.get() - chunksBefore, bytesTotal.get() - bytesBefore};
    }

    /** Asks the service which of {@code batch} storage lacks; answers their uploads, alone or in packs. */
    private Planned plan(Map<ChunkId, DirtyChunk> batch) throws IOException {
        List<ChunkSpec> specs = new ArrayList<>(batch.size());
        batch.forEach((id, chunk) -> specs.add(new ChunkSpec(id, chunk.length())));
        List<ChunkTransfer.Upload> uploads = new ArrayList<>();
        List<Map.Entry<ChunkId, DirtyChunk>> packable = new ArrayList<>();
        for (int i = 0; i < specs.size(); i += PLAN_BATCH) {
            List<ChunkSpec> part = specs.subList(i, Math.min(specs.size(), i + PLAN_BATCH));
            // A pack pays off for many small chunks; a few go faster alone (fewer round trips).
            long small = part.stream().filter(spec -> spec.size() <= SMALL_CHUNK).count();
            UploadPlan plan = small >= PACK_AT_LEAST ? service.planPackedUploads(volume, part) : service.planUploads(volume, part);
            for (ChunkId id : plan.packable()) {
                DirtyChunk chunk = batch.get(id);
                if (chunk == null) {
                    throw new VolumeFuseException("The service offered to pack chunk " + id.abbreviated() + ", which this commit does not hold");
                }
                packable.add(Map.entry(id, chunk));
            }
            for (PresignedUrl target : plan.uploads()) {
                DirtyChunk chunk = batch.get(target.id());
                if (chunk == null) {
                    throw new VolumeFuseException("The service asked for chunk " + target.id().abbreviated()
                            + ", which this commit does not hold");
                }
                Path file = dirty.path(chunk.id());
                // Sealed files are never cut while a commit holds them (a write goes to a copy).
                uploads.add(new ChunkTransfer.Upload(target, chunk.length(), ChunkTransfer.ChunkBytes.ofFile(file)));
            }
        }
        long bytes = 0;
        for (ChunkTransfer.Upload upload : uploads) {
            bytes += upload.size();
        }
        for (Map.Entry<ChunkId, DirtyChunk> chunk : packable) {
            bytes += chunk.getValue().length();
        }
        report(bytesTotal.addAndGet(bytes), chunksTotal.addAndGet(uploads.size() + packable.size()));
        return new Planned(uploads, packable);
    }

    /**
     * Uploads {@code chunks} in packs: groups them, names each pack by hashing its members' bytes in
     * order, asks for the packs' URLs, PUTs them, and has the service check them; fails unless the
     * service then holds every chunk.
     */
    private void uploadPacks(List<Map.Entry<ChunkId, DirtyChunk>> chunks) throws IOException {
        List<List<Map.Entry<ChunkId, DirtyChunk>>> groups = new ArrayList<>();
        List<Map.Entry<ChunkId, DirtyChunk>> group = new ArrayList<>();
        long groupBytes = 0;
        for (Map.Entry<ChunkId, DirtyChunk> chunk : chunks) {
            if (!group.isEmpty() && (groupBytes + chunk.getValue().length() > PACK_BYTES || group.size() == PACK_CHUNKS)) {
                groups.add(group);
                group = new ArrayList<>();
                groupBytes = 0;
            }
            group.add(chunk);
            groupBytes += chunk.getValue().length();
        }
        groups.add(group);
        for (int from = 0; from < groups.size(); from += PACK_REQUEST) {
            List<List<Map.Entry<ChunkId, DirtyChunk>>> slice = groups.subList(from, Math.min(groups.size(), from + PACK_REQUEST));
            List<PackSpec> specs = new ArrayList<>();
            for (List<Map.Entry<ChunkId, DirtyChunk>> members : slice) {
                specs.add(packSpec(members));
            }
            List<PackUpload> answers = service.packUploads(volume, specs);
            List<ChunkTransfer.Upload> puts = new ArrayList<>();
            Map<ChunkId, List<Map.Entry<ChunkId, DirtyChunk>>> membersByHash = new HashMap<>();
            for (int i = 0; i < specs.size(); i++) {
                PackSpec spec = specs.get(i);
                List<Map.Entry<ChunkId, DirtyChunk>> members = slice.get(i);
                membersByHash.put(spec.id().hash(), members);
                answers.get(i).upload().ifPresent(url ->
                        puts.add(new ChunkTransfer.Upload(url, spec.size(), () -> ByteBuffer.wrap(packBytes(members, spec.size())))));
            }
            transfer.uploadAll(puts, (hash, bytes) -> {
                packsUploaded.incrementAndGet();
                List<Map.Entry<ChunkId, DirtyChunk>> members = membersByHash.get(hash);
                bytesDone.addAndGet(bytes);
                chunksDone.addAndGet(members == null ? 0 : members.size());
                report(bytesTotal.get(), chunksTotal.get());
            });
            Set<ChunkId> held = service.verifyUploads(volume, List.of(), specs);
            for (PackSpec spec : specs) {
                for (ChunkSpec member : spec.chunks()) {
                    if (!held.contains(member.id())) {
                        throw new IOException("Pack " + spec.id().abbreviated() + " was uploaded, but the service does not find chunk "
                                + member.id().abbreviated() + " in storage");
                    }
                }
            }
        }
    }

    /** The pack of {@code members}: their bytes back to back, named by hashing them in order (read from their files). */
    private PackSpec packSpec(List<Map.Entry<ChunkId, DirtyChunk>> members) throws IOException {
        MessageDigest sha256 = ChunkHasher.newDigest();
        List<ChunkSpec> specs = new ArrayList<>(members.size());
        long size = 0;
        ByteBuffer buffer = ByteBuffer.allocate(64 << 10);
        for (Map.Entry<ChunkId, DirtyChunk> member : members) {
            long length = member.getValue().length();
            try (FileChannel channel = FileChannel.open(dirty.path(member.getValue().id()), StandardOpenOption.READ)) {
                for (long position = 0; position < length; ) {
                    buffer.clear().limit((int) Math.min(buffer.capacity(), length - position));
                    int n = channel.read(buffer, position);
                    if (n < 0) {
                        throw new IOException("Dirty chunk " + member.getValue().id() + " ends before byte " + position + " of " + length);
                    }
                    sha256.update(buffer.flip());
                    position += n;
                }
            }
            specs.add(new ChunkSpec(member.getKey(), length));
            size += length;
        }
        return new PackSpec(new PackId(ChunkId.ofDigest(sha256.digest())), size, specs);
    }

    /** The bytes of a pack, built when its upload starts. */
    private byte[] packBytes(List<Map.Entry<ChunkId, DirtyChunk>> members, long size) throws IOException {
        byte[] bytes = new byte[Math.toIntExact(size)];
        int offset = 0;
        for (Map.Entry<ChunkId, DirtyChunk> member : members) {
            byte[] chunk = Files.readAllBytes(dirty.path(member.getValue().id()));
            if (chunk.length != member.getValue().length()) {
                throw new IOException("Dirty chunk " + member.getValue().id() + " holds " + chunk.length + " bytes, expected "
                        + member.getValue().length());
            }
            System.arraycopy(chunk, 0, bytes, offset, chunk.length);
            offset += chunk.length;
        }
        return bytes;
    }

    /** The chunk's hash: the one being taken ahead right now if there is one, else hashed here. */
    private ChunkId hashOnce(DirtyChunk chunk) throws IOException {
        Optional<ChunkId> ahead = dirty.awaitHashedAhead(chunk.id(), chunk.length());
        if (ahead.isPresent()) {
            return ahead.get();
        }
        try (FileChannel channel = FileChannel.open(dirty.path(chunk.id()), StandardOpenOption.READ)) {
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
