package dev.sail.volumes.fuse.core;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.manifest.VolumeName;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;

/**
 * Presigned download URLs, asked for in batches: when a chunk needs a URL, the chunks likely to be
 * read next (hinted by directory listings and by sequential reads) get theirs in the same request,
 * so reading many small files, or a large file ahead of its reader, costs one service round trip per
 * batch rather than one per chunk. A chunk whose URL is already being asked for waits for that
 * request instead of sending its own (read-ahead asks for many chunks at once). URLs are kept for a
 * short time only (well within any presign expiry) and used once. Thread-safe.
 */
final class DownloadUrls {
    static final int BATCH = 256;
    private static final int MAX_HINTS = 4096;
    /** How long an unused URL is trusted; presigned URLs live minutes, this stays far inside that. */
    private static final long TTL_NANOS = 60_000_000_000L;

    private record Timed(PresignedUrl url, long expiresAt) {
    }

    private final VolumeService service;
    private final VolumeName volume;
    /** URLs answered and not used yet; guarded by {@code this}. */
    private final Map<ChunkId, Timed> urls = new HashMap<>();
    /** Chunks whose URL a request in flight will answer; guarded by {@code this}. */
    private final Map<ChunkId, CompletableFuture<Map<ChunkId, PresignedUrl>>> pending = new HashMap<>();
    /** Chunks likely to be read soon, oldest first; guarded by {@code this}. */
    private final LinkedHashSet<ChunkId> hints = new LinkedHashSet<>();

    DownloadUrls(VolumeService service, VolumeName volume) {
        this.service = service;
        this.volume = volume;
    }

    /** Notes chunks likely to be read soon (newest hints win when there are too many). */
    synchronized void hint(Collection<ChunkId> ids) {
        for (ChunkId id : ids) {
            if (!urls.containsKey(id) && !pending.containsKey(id)) {
                hints.remove(id);
                hints.add(id);
            }
        }
        Iterator<ChunkId> oldest = hints.iterator();
        while (hints.size() > MAX_HINTS && oldest.hasNext()) {
            oldest.next();
            oldest.remove();
        }
    }

    /** A URL for {@code id}; {@code cached} says which hinted chunks need none (already on disk). */
    PresignedUrl urlFor(ChunkId id, Predicate<ChunkId> cached) throws IOException {
        for (int attempt = 1; attempt <= 3; attempt++) {
            PresignedUrl url = answer(id, cached);
            if (url != null) {
                return url;
            }
            // A shared request the service answered for its first chunk only (another hint was unknown):
            // this chunk asks again, as the first of its own request.
        }
        throw new IOException("The service gave no download URL for chunk " + id.abbreviated());
    }

    /** The URL for {@code id} from the cache, a request in flight, or a new request; null if the answer left it out. */
    private PresignedUrl answer(ChunkId id, Predicate<ChunkId> cached) throws IOException {
        CompletableFuture<Map<ChunkId, PresignedUrl>> request;
        List<ChunkId> batch = null;
        synchronized (this) {
            long now = System.nanoTime();
            Timed known = urls.remove(id);
            if (known != null && known.expiresAt() - now > 0) {
                return known.url();
            }
            request = pending.get(id);
            if (request == null) {
                urls.values().removeIf(t -> t.expiresAt() - now <= 0);
                batch = new ArrayList<>();
                batch.add(id);
                hints.remove(id);
                Iterator<ChunkId> it = hints.iterator();
                while (batch.size() < BATCH && it.hasNext()) {
                    ChunkId hinted = it.next();
                    it.remove();
                    if (!urls.containsKey(hinted) && !pending.containsKey(hinted) && !cached.test(hinted)) {
                        batch.add(hinted);
                    }
                }
                request = new CompletableFuture<>();
                for (ChunkId chunk : batch) {
                    pending.put(chunk, request);
                }
            }
        }
        if (batch != null) {
            ask(batch, request);
        }
        Map<ChunkId, PresignedUrl> answered;
        try {
            answered = request.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException("Cannot get a download URL for chunk " + id.abbreviated() + ": " + e.getCause(), e.getCause());
        }
        synchronized (this) {
            // Whoever reaches the answer first takes its own URL; the rest stay for their chunks.
            urls.remove(id);
        }
        PresignedUrl mine = answered.get(id);
        if (mine == null && batch != null) {
            throw new IOException("The service gave no download URL for chunk " + id.abbreviated());
        }
        return mine;
    }

    /** Sends one request for {@code batch} and completes {@code request} with its answer. */
    private void ask(List<ChunkId> batch, CompletableFuture<Map<ChunkId, PresignedUrl>> request) {
        Map<ChunkId, PresignedUrl> byId = new HashMap<>();
        RuntimeException failure = null;
        try {
            List<PresignedUrl> answered;
            try {
                answered = service.downloadUrls(volume, batch);
            } catch (VolumeServiceException e) {
                if (batch.size() == 1 || e.status() == 0) {
                    throw e;
                }
                // A hint the service does not know (a chunk of a file since deleted): ask for the first alone.
                answered = service.downloadUrls(volume, batch.subList(0, 1));
            }
            answered.forEach(url -> byId.put(url.id(), url));
        } catch (RuntimeException e) {
            failure = e;
        }
        synchronized (this) {
            long expiresAt = System.nanoTime() + TTL_NANOS;
            for (ChunkId chunk : batch) {
                pending.remove(chunk, request);
                PresignedUrl url = byId.get(chunk);
                if (url != null) {
                    urls.put(chunk, new Timed(url, expiresAt));
                }
            }
        }
        if (failure != null) {
            request.completeExceptionally(failure);
        } else {
            request.complete(byId);
        }
    }
}
