package dev.sail.volumes.fuse.core;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.manifest.VolumeName;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Presigned download URLs, asked for in batches: when a chunk needs a URL, the chunks likely to be
 * read next (hinted by directory listings and by sequential reads) get theirs in the same request,
 * so reading many small files costs one service round trip per batch rather than one per file.
 * URLs are kept for a short time only (well within any presign expiry) and used once. Thread-safe.
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
    private final Map<ChunkId, Timed> urls = new ConcurrentHashMap<>();
    /** Chunks likely to be read soon, oldest first; guarded by itself. */
    private final LinkedHashSet<ChunkId> hints = new LinkedHashSet<>();

    DownloadUrls(VolumeService service, VolumeName volume) {
        this.service = service;
        this.volume = volume;
    }

    /** Notes chunks likely to be read soon (newest hints win when there are too many). */
    void hint(Collection<ChunkId> ids) {
        synchronized (hints) {
            for (ChunkId id : ids) {
                hints.remove(id);
                hints.add(id);
            }
            Iterator<ChunkId> oldest = hints.iterator();
            while (hints.size() > MAX_HINTS && oldest.hasNext()) {
                oldest.next();
                oldest.remove();
            }
        }
    }

    /** A URL for {@code id}; {@code cached} says which hinted chunks need none (already on disk). */
    PresignedUrl urlFor(ChunkId id, Predicate<ChunkId> cached) throws IOException {
        long now = System.nanoTime();
        Timed known = urls.remove(id);
        if (known != null && known.expiresAt() - now > 0) {
            return known.url();
        }
        List<ChunkId> batch = new ArrayList<>();
        batch.add(id);
        synchronized (hints) {
            hints.remove(id);
            Iterator<ChunkId> it = hints.iterator();
            while (batch.size() < BATCH && it.hasNext()) {
                ChunkId hinted = it.next();
                it.remove();
                Timed have = urls.get(hinted);
                if ((have == null || have.expiresAt() - now <= 0) && !cached.test(hinted)) {
                    batch.add(hinted);
                }
            }
        }
        List<PresignedUrl> answered;
        try {
            answered = service.downloadUrls(volume, batch);
        } catch (VolumeServiceException e) {
            if (batch.size() == 1 || e.status() == 0) {
                throw e;
            }
            // A hint the service does not know (a chunk of a file since deleted): ask for this one alone.
            answered = service.downloadUrls(volume, List.of(id));
        }
        urls.values().removeIf(t -> t.expiresAt() - now <= 0);
        PresignedUrl mine = null;
        for (PresignedUrl url : answered) {
            if (url.id().equals(id)) {
                mine = url;
            } else {
                urls.put(url.id(), new Timed(url, now + TTL_NANOS));
            }
        }
        if (mine == null) {
            throw new IOException("The service gave no download URL for chunk " + id.abbreviated());
        }
        return mine;
    }
}
