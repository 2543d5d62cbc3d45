package dev.sail.volumes.fuse.core;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.Page;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The volume as published at the mount's base commit, listed lazily: a directory is listed from
 * the service the first time it is needed and kept until the base moves past a change to it.
 * Nothing is listed at mount time, so mounting costs the same for any volume size.
 *
 * <p>Thread-safe; callers serialize {@link #rebase} against lookups (the file system holds its
 * namespace lock while it moves the base).
 */
final class RemoteTree {
    static final int PAGE = 1000;
    private static final Entry.Directory ROOT = new Entry.Directory(0755, 0);

    /**
     * Files in a listing are likely read next: their chunks are hinted for URL batching, every file's
     * first chunk first, then every file's second, and so on, up to one request's worth. Presigning is
     * cheap (200 URLs in one request: 6-11 ms, against 3 ms for one), and a reader that opens file
     * after file, anywhere in them, then finds its URL waiting instead of asking for each.
     */
    static final int HINTED_CHUNKS = DownloadUrls.BATCH;

    private final VolumeService service;
    private final VolumeName volume;
    private final Consumer<List<ChunkId>> hints;
    private final Map<VolumePath, Map<String, Versioned>> listings = new ConcurrentHashMap<>();
    private volatile long baseSeq;

    RemoteTree(VolumeService service, VolumeName volume, long baseSeq, Consumer<List<ChunkId>> hints) {
        this.service = service;
        this.volume = volume;
        this.baseSeq = baseSeq;
        this.hints = hints;
    }

    long baseSeq() {
        return baseSeq;
    }

    /** The children of {@code dir} at the base, by name; empty when the base has no directory there. */
    Map<String, Versioned> children(VolumePath dir) {
        Map<String, Versioned> cached = listings.get(dir);
        if (cached != null) {
            return cached;
        }
        Map<String, Versioned> listed = list(dir, baseSeq);
        hints.accept(likelyRead(listed.values()));
        Map<String, Versioned> raced = listings.putIfAbsent(dir, listed);
        return raced != null ? raced : listed;
    }

    /** The chunks of {@code children}'s files by position: every file's first, then every second, ...; at most {@link #HINTED_CHUNKS}. */
    static List<ChunkId> likelyRead(Collection<Versioned> children) {
        List<List<ChunkId>> files = new ArrayList<>();
        for (Versioned child : children) {
            if (child.entry() instanceof Entry.File file && !file.chunks().isEmpty()) {
                files.add(file.chunks());
            }
        }
        List<ChunkId> likely = new ArrayList<>();
        for (int index = 0; !files.isEmpty() && likely.size() < HINTED_CHUNKS; index++) {
            int position = index;
            files.removeIf(chunks -> chunks.size() <= position);
            for (List<ChunkId> chunks : files) {
                if (likely.size() == HINTED_CHUNKS) {
                    break;
                }
                likely.add(chunks.get(position));
            }
        }
        return likely;
    }

    /** Lists {@code dir} at {@code seq} from the service, every page, without caching. */
    Map<String, Versioned> list(VolumePath dir, long seq) {
        TreeMap<String, Versioned> children = new TreeMap<>();
        String after = null;
        try {
            do {
                Page<Versioned> page = service.list(volume, dir, seq, after, PAGE);
                for (Versioned child : page.items()) {
                    if (child.entry().exists()) {
                        children.put(child.path().name(), child);
                    }
                }
                after = page.next().orElse(null);
            } while (after != null);
        } catch (VolumeServiceException e) {
            if ("not_found".equals(e.code()) || "not_a_directory".equals(e.code())) {
                return Collections.emptyMap();
            }
            throw e;
        }
        return Collections.unmodifiableMap(children);
    }

    /** The entry named {@code name} in {@code dir} at the base, if the base has {@code dir} as a directory. */
    Optional<Versioned> child(VolumePath dir, String name) {
        return Optional.ofNullable(children(dir).get(name));
    }

    /** The base's entry at {@code path}, walking its ancestors (the overlay plays no part). */
    Optional<Entry> find(VolumePath path) {
        if (path.isRoot()) {
            return Optional.of(ROOT);
        }
        for (VolumePath ancestor : path.ancestors()) {
            VolumePath parent = ancestor.loadParent();
            Optional<Versioned> dir = child(parent, ancestor.name());
            if (dir.isEmpty() || !(dir.get().entry() instanceof Entry.Directory)) {
                return Optional.empty();
            }
        }
        return child(path.loadParent(), path.name()).map(Versioned::entry);
    }

    /**
     * Moves the base to {@code newSeq}, forgetting the listings that {@code changed} (the delta from
     * the old base to the new one) made stale: the parent of every changed path, and the changed
     * paths themselves with everything below them.
     */
    void rebase(long newSeq, Collection<VolumePath> changed) {
        Set<VolumePath> changedSet = new HashSet<>(changed);
        Set<VolumePath> parents = new HashSet<>();
        for (VolumePath path : changed) {
            path.parent().ifPresent(parents::add);
        }
        listings.keySet().removeIf(dir -> parents.contains(dir) || changedSet.contains(dir)
                || dir.ancestors().stream().anyMatch(changedSet::contains));
        baseSeq = newSeq;
    }

    /** Forgets every listing (used when the delta is too large to be worth applying). */
    void rebaseForgettingAll(long newSeq) {
        listings.clear();
        baseSeq = newSeq;
    }
}
