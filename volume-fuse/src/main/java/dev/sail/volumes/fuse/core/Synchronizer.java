package dev.sail.volumes.fuse.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.CommitResult;
import dev.sail.volumes.client.Page;
import dev.sail.volumes.client.VolumeInfo;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.client.control.ReloadReport;
import dev.sail.volumes.client.control.StashInfo;
import dev.sail.volumes.fuse.VolumeFuseException;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import dev.sail.volumes.manifest.WireCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commit, reload and stash for one {@link VolumeFileSystem}. One of them runs at a time; file
 * operations go on meanwhile (a commit holds the namespace lock only to take its snapshot and to
 * apply its result).
 *
 * <p>Commit: snapshot the overlay and seal its dirty chunks, hash them in parallel, ask the service
 * once which are missing, upload those straight to storage, publish one commit, then drop from the
 * overlay every path that did not change meanwhile and move the base to the new commit. Clean
 * chunks keep their ids, so a rename or copy uploads nothing. Thread-safe.
 */
public final class Synchronizer {
    /** Receives progress while a commit uploads. */
    @FunctionalInterface
    public interface Progress {
        void update(long bytesDone, long bytesTotal, int chunksDone, int chunksTotal);
    }

    private static final Logger LOG = LoggerFactory.getLogger(Synchronizer.class);
    private static final int DELTA_PAGE = 1000;
    /** Past this many changed paths, a reload forgets every listing rather than pick out the stale ones. */
    private static final int DELTA_FORGET_ALL = 100_000;
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final DateTimeFormatter STASH_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final VolumeFileSystem fs;
    private final Path stashRoot;
    private final int hashThreads;
    private final Object syncLock = new Object();
    private final AtomicInteger stashCounter = new AtomicInteger();
    /** Dirty ids the previous commit moved into the cache; guarded by syncLock. */
    private List<Long> lastCommitted = List.of();

    public Synchronizer(VolumeFileSystem fs) throws IOException {
        this.fs = fs;
        this.stashRoot = Files.createDirectories(fs.stateDir.resolve("stash"));
        this.hashThreads = Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** A file as the commit saw it: the node, its state, and the stamp that says whether it changed since. */
    private record FileSnap(FileNode node, FileNode.Snapshot state) {
    }

    /**
     * Publishes the mount's changes as one commit and moves the base to it.
     *
     * @throws VolumeFuseException naming the problem when the service refuses or storage fails; the
     *                             overlay is untouched then, and a rerun uploads only what is missing
     */
    public CommitReport commit(Progress progress) throws IOException {
        synchronized (syncLock) {
            // A read that raced the previous commit's move into the cache is long over.
            fs.dirty.forgetRelocations(lastCommitted);
            lastCommitted = List.of();
            long baseSeq;
            TreeMap<VolumePath, Local> entries = new TreeMap<>();
            Map<VolumePath, FileSnap> files = new HashMap<>();
            Map<Long, UploadPipeline.DirtyChunk> dirtyChunks = new LinkedHashMap<>();
            fs.ns.writeLock().lock();
            try {
                baseSeq = fs.remote.baseSeq();
                entries.putAll(fs.overlay);
                for (Map.Entry<VolumePath, Local> e : entries.entrySet()) {
                    if (e.getValue() instanceof Local.FileRef f) {
                        FileNode node = f.node();
                        synchronized (node) {
                            for (int i = 0; i < node.chunks.size(); i++) {
                                if (node.chunks.get(i) instanceof ChunkRef.Dirty d) {
                                    long length = fs.layout.range(i, node.size).length();
                                    fs.dirty.padTo(d.id(), length);
                                    fs.dirty.seal(d.id());
                                    dirtyChunks.put(d.id(), new UploadPipeline.DirtyChunk(d.id(), length));
                                }
                            }
                            files.put(e.getKey(), new FileSnap(node, node.snapshot()));
                        }
                    }
                }
            } finally {
                fs.ns.writeLock().unlock();
            }
            try {
                if (entries.isEmpty()) {
                    return new CommitReport(fs.baseCommit, baseSeq, 0, 0, 0, 0, List.of());
                }
                return publish(baseSeq, entries, files, dirtyChunks, progress);
            } finally {
                dirtyChunks.keySet().forEach(fs.dirty::unseal);
            }
        }
    }

    private CommitReport publish(long baseSeq, TreeMap<VolumePath, Local> entries, Map<VolumePath, FileSnap> files,
                                 Map<Long, UploadPipeline.DirtyChunk> dirtyChunks, Progress progress) throws IOException {
        long started = System.nanoTime();
        UploadPipeline pipeline = new UploadPipeline(fs.service, fs.volume, fs.transfer, fs.dirty, hashThreads, progress);
        UploadPipeline.Outcome upload = pipeline.run(List.copyOf(dirtyChunks.values()));
        Map<Long, ChunkId> hashes = upload.hashes();
        long uploaded = System.nanoTime();
        List<Change> changes = new ArrayList<>();
        int reused = 0;
        for (Map.Entry<VolumePath, Local> e : entries.entrySet()) {
            VolumePath path = e.getKey();
            if (liesBeneathNonDirectory(path, entries)) {
                continue;
            }
            switch (e.getValue()) {
                case Local.Whiteout w -> changes.add(new Change(path, Entry.DELETED));
                case Local.Link l -> changes.add(new Change(path, new Entry.Symlink(l.target(), l.mtimeNanos())));
                case Local.Dir d -> {
                    changes.add(new Change(path, new Entry.Directory(d.mode(), d.mtimeNanos())));
                    if (d.shadowsRemoteDir()) {
                        for (String name : fs.remote.list(path, baseSeq).keySet()) {
                            VolumePath child = path.child(name);
                            if (!entries.containsKey(child)) {
                                changes.add(new Change(child, Entry.DELETED));
                            }
                        }
                    }
                }
                case Local.FileRef f -> {
                    FileNode.Snapshot state = files.get(path).state();
                    List<ChunkId> ids = new ArrayList<>(state.chunks().size());
                    for (ChunkRef ref : state.chunks()) {
                        switch (ref) {
                            case ChunkRef.Clean c -> {
                                ids.add(c.id());
                                reused++;
                            }
                            case ChunkRef.Dirty d -> ids.add(hashes.get(d.id()));
                        }
                    }
                    changes.add(new Change(path, new Entry.File(state.size(), state.mode(), state.mtimeNanos(), ids)));
                }
            }
        }

        int chunksUploaded = upload.chunksUploaded();
        long bytesUploaded = upload.bytesUploaded();
        reused += dirtyChunks.size() - chunksUploaded;
        long listed = System.nanoTime();

        CommitProposal unkeyed = new CommitProposal(baseSeq, "pending", fs.mountId, changes);
        CommitProposal proposal = new CommitProposal(baseSeq, idempotencyKey(unkeyed), fs.mountId, changes);
        CommitResult result;
        try {
            result = fs.service.commit(fs.volume, proposal);
        } catch (VolumeServiceException e) {
            if (!"missing_chunks".equals(e.code())) {
                throw new VolumeFuseException("Cannot commit volume '" + fs.volume + "': " + e.getMessage(), e);
            }
            // Storage lost chunks the service had reported present: upload everything again, once.
            LOG.warn("Commit of volume '{}' found chunks missing in storage; uploading again", fs.volume);
            long[] again = pipeline.uploadAgain(upload.byId());
            chunksUploaded += (int) again[0];
            bytesUploaded += again[1];
            result = fs.service.commit(fs.volume, proposal);
        }

        long committed = System.nanoTime();
        // When this commit is the only one since the base, what changed is exactly what it carried, and
        // the kernel already saw all of it: the merge creates no implicit parent then (a local file's
        // parent is in the overlay, so among the changes, or in the base, so still at the head), and a
        // deleted directory's subtree is dropped with it. Otherwise the delta names the other mounts'
        // changes too.
        boolean onlyOurs = result.seq() == baseSeq + 1;
        List<VolumePath> changed = onlyOurs ? changes.stream().map(Change::path).toList() : delta(baseSeq, result.seq());
        applyCommitted(result, entries, files, dirtyChunks, hashes, changed);
        long applied = System.nanoTime();
        if (!onlyOurs) {
            // Other mounts' commits since the base now show here.
            fs.kernelCache().invalidate(changed == null ? List.of(VolumePath.ROOT) : changed);
        }
        List<String> overwritten = result.overwritten().stream().map(VolumePath::toString).toList();
        LOG.info("Committed {} change(s) to volume '{}' as {} (seq {}): {} chunk(s), {} bytes uploaded ({} pack(s)); took {} ms"
                        + " (hash and upload {} ms [hashed in {} ms, {} plan call(s) {} ms], changes {} ms, commit call {} ms,"
                        + " delta and apply {} ms)",
                changes.size(), fs.volume, result.commit(), result.seq(), chunksUploaded, bytesUploaded, upload.packsUploaded(),
                millis(applied - started), millis(uploaded - started), upload.hashMillis(), upload.planCalls(), upload.planMillis(),
                millis(listed - uploaded),
                millis(committed - listed), millis(applied - committed));
        return new CommitReport(result.commit(), result.seq(), changes.size(), bytesUploaded, chunksUploaded, reused, overwritten);
    }

    private static boolean liesBeneathNonDirectory(VolumePath path, Map<VolumePath, Local> entries) {
        for (VolumePath ancestor : path.ancestors()) {
            Local local = entries.get(ancestor);
            if (local != null && !(local instanceof Local.Dir)) {
                return true;
            }
        }
        return false;
    }

    /** True when an overlay entry above {@code path} is not a directory (so nothing may be put beneath it). */
    private boolean beneathNonDirectory(VolumePath path) {
        for (VolumePath ancestor : path.ancestors()) {
            Local local = fs.overlay.get(ancestor);
            if (local != null && !(local instanceof Local.Dir)) {
                return true;
            }
        }
        return false;
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    /** A key that is the same for the same commit from the same mount, so a rerun after a lost answer is a replay. */
    private static String idempotencyKey(CommitProposal proposal) {
        byte[] json = WireCodec.bytes(WireCodec.proposalNode(proposal));
        return "sv-" + HexFormat.of().formatHex(ChunkHasher.hash(json).digest(), 0, 24);
    }

    /** Every path that differs between {@code fromSeq} and {@code toSeq}, or null when there are too many to be worth listing. */
    private List<VolumePath> delta(long fromSeq, long toSeq) {
        List<VolumePath> changed = new ArrayList<>();
        if (fromSeq == toSeq) {
            return changed;
        }
        String after = null;
        do {
            Page<Versioned> page = fs.service.delta(fs.volume, fromSeq, toSeq, after, DELTA_PAGE);
            page.items().forEach(v -> changed.add(v.path()));
            after = page.next().orElse(null);
            if (changed.size() > DELTA_FORGET_ALL) {
                return null;
            }
        } while (after != null);
        return changed;
    }

    private void rebase(long seq, List<VolumePath> changed) {
        if (changed == null) {
            fs.remote.rebaseForgettingAll(seq);
            fs.openClean.clear();
        } else {
            fs.remote.rebase(seq, changed);
            for (VolumePath path : changed) {
                fs.openClean.remove(path);
            }
        }
    }

    private void applyCommitted(CommitResult result, Map<VolumePath, Local> entries, Map<VolumePath, FileSnap> files,
                                Map<Long, UploadPipeline.DirtyChunk> dirtyChunks, Map<Long, ChunkId> hashes, List<VolumePath> changed) throws IOException {
        fs.ns.writeLock().lock();
        try {
            VolumeFileSystem.Edit edit = new VolumeFileSystem.Edit();
            rebase(result.seq(), changed);
            for (Map.Entry<VolumePath, Local> e : entries.entrySet()) {
                VolumePath path = e.getKey();
                Local current = fs.overlay.get(path);
                if (e.getValue() instanceof Local.FileRef f) {
                    FileNode node = f.node();
                    synchronized (node) {
                        // Committed chunks are clean now, whatever happened to the file since.
                        for (int i = 0; i < node.chunks.size(); i++) {
                            if (node.chunks.get(i) instanceof ChunkRef.Dirty d && hashes.containsKey(d.id())) {
                                node.chunks.set(i, new ChunkRef.Clean(hashes.get(d.id())));
                            }
                        }
                        boolean unchanged = current instanceof Local.FileRef now && now.node() == node
                                && node.stamp == files.get(path).state().stamp();
                        if (unchanged) {
                            fs.removeOverlay(path, edit);
                            if (node.openCount > 0) {
                                fs.openClean.put(path, node);
                            }
                        } else if (node.path != null && fs.overlay.get(node.path) instanceof Local.FileRef now && now.node() == node) {
                            // Changed (or renamed) during the commit: it stays dirty, with its committed chunks now clean.
                            edit.put(VolumeFileSystem.key(node.path), now);
                        }
                    }
                } else if (current == e.getValue()) {
                    fs.removeOverlay(path, edit);
                }
                // Deleted or renamed away during the commit: the new base has it, so it needs hiding now.
                if (!(e.getValue() instanceof Local.Whiteout) && current == null && !beneathNonDirectory(path)) {
                    fs.putOverlay(path, Local.WHITEOUT, edit);
                }
            }
            lastCommitted = List.copyOf(dirtyChunks.keySet());
            fs.dirty.forget(lastCommitted);
            for (UploadPipeline.DirtyChunk chunk : dirtyChunks.values()) {
                ChunkId id = hashes.get(chunk.id());
                fs.dirty.relocate(chunk.id(), fs.cache.pathOf(id));
                fs.dirty.unseal(chunk.id());
                fs.cache.adopt(id, fs.dirty.path(chunk.id()));
            }
            fs.baseCommit = result.commit();
            edit.putRaw(VolumeFileSystem.KEY_BASE_SEQ, VolumeFileSystem.bytes(Long.toString(result.seq())));
            edit.putRaw(VolumeFileSystem.KEY_BASE_COMMIT, VolumeFileSystem.bytes(result.commit()));
            fs.apply(edit);
        } finally {
            fs.ns.writeLock().unlock();
        }
    }

    /**
     * Moves the mount to the volume's latest commit, discarding the overlay into a new stash.
     * Metadata only: no file bytes move.
     */
    public ReloadReport reload() throws IOException {
        synchronized (syncLock) {
            List<VolumePath> shown = new ArrayList<>();
            try {
                return reload(shown);
            } finally {
                fs.kernelCache().invalidate(shown);
            }
        }
    }

    /** Moves the base and discards the overlay; adds every path whose view changed to {@code shown}. */
    private ReloadReport reload(List<VolumePath> shown) throws IOException {
        VolumeInfo info = fs.service.findVolume(fs.volume).orElseThrow(() ->
                new VolumeFuseException("Cannot reload: volume '" + fs.volume + "' no longer exists"));
        long baseSeq = fs.remote.baseSeq();
        List<VolumePath> changed = delta(baseSeq, info.headSeq());
        fs.ns.writeLock().lock();
        try {
            TreeMap<VolumePath, Local> discarded = new TreeMap<>(fs.overlay);
            String stash = discarded.isEmpty() ? "" : stash(discarded, baseSeq);
            VolumeFileSystem.Edit edit = new VolumeFileSystem.Edit();
            for (VolumePath path : discarded.keySet()) {
                edit.delete(VolumeFileSystem.key(path));
            }
            for (Local local : discarded.values()) {
                if (local instanceof Local.FileRef f) {
                    f.node().detach();
                }
            }
            fs.openClean.values().forEach(FileNode::detach);
            fs.openClean.clear();
            fs.overlay.clear();
            fs.overlayChildren.clear();
            rebase(info.headSeq(), changed);
            fs.baseCommit = info.headCommit() == null ? "" : info.headCommit();
            edit.putRaw(VolumeFileSystem.KEY_BASE_SEQ, VolumeFileSystem.bytes(Long.toString(info.headSeq())));
            edit.putRaw(VolumeFileSystem.KEY_BASE_COMMIT, VolumeFileSystem.bytes(fs.baseCommit));
            fs.apply(edit);
            shown.addAll(discarded.keySet());
            shown.addAll(changed == null ? List.of(VolumePath.ROOT) : changed);
            if (!discarded.isEmpty()) {
                LOG.warn("Reload of volume '{}' discarded {} uncommitted path(s) into stash {}", fs.volume, discarded.size(), stash);
            }
            return new ReloadReport(fs.baseCommit, info.headSeq(),
                    discarded.keySet().stream().map(VolumePath::toString).toList(), stash);
        } finally {
            fs.ns.writeLock().unlock();
        }
    }

    /** Writes the discarded overlay into a new stash dir, moving its dirty chunks there; answers the stash id. */
    private String stash(TreeMap<VolumePath, Local> discarded, long baseSeq) throws IOException {
        Instant now = Instant.now();
        String id = STASH_TIME.format(now) + "-" + stashCounter.incrementAndGet();
        Path dir = Files.createDirectories(stashRoot.resolve(id));
        Path chunks = Files.createDirectories(dir.resolve("chunks"));
        ObjectNode manifest = MAPPER.createObjectNode().put("id", id).put("created", now.toString()).put("baseSeq", baseSeq);
        ArrayNode paths = manifest.putArray("entries");
        for (Map.Entry<VolumePath, Local> e : discarded.entrySet()) {
            ObjectNode entry = OverlayCodec.node(e.getValue());
            entry.put("path", e.getKey().value());
            paths.add(entry);
            if (e.getValue() instanceof Local.FileRef f) {
                for (ChunkRef ref : f.node().snapshot().chunks()) {
                    if (ref instanceof ChunkRef.Dirty d && Files.exists(fs.dirty.path(d.id()))) {
                        Path target = chunks.resolve(Long.toString(d.id()));
                        fs.dirty.relocate(d.id(), target);
                        Files.move(fs.dirty.path(d.id()), target, StandardCopyOption.ATOMIC_MOVE);
                        fs.dirty.forget(List.of(d.id()));
                    }
                }
            }
        }
        Path temp = dir.resolve("stash.json.tmp");
        Files.write(temp, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
        Files.move(temp, dir.resolve("stash.json"), StandardCopyOption.ATOMIC_MOVE);
        return id;
    }

    /** The stashes kept in this mount's state dir, oldest first. */
    public List<StashInfo> stashes() throws IOException {
        List<StashInfo> stashes = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(stashRoot)) {
            for (Path dir : dirs.sorted().toList()) {
                Path manifest = dir.resolve("stash.json");
                if (!Files.exists(manifest)) {
                    continue;
                }
                JsonNode node = MAPPER.readTree(manifest.toFile());
                List<String> paths = new ArrayList<>();
                node.path("entries").forEach(e -> paths.add(VolumePath.of(e.path("path").asText()).toString()));
                stashes.add(new StashInfo(node.path("id").asText(), node.path("created").asText(), node.path("baseSeq").asLong(), paths));
            }
        }
        return stashes;
    }

    /**
     * Puts a stash's changes back into the overlay (over whatever the paths hold now), so a commit
     * publishes them; the stash is deleted once restored. Answers the restored paths.
     */
    public List<String> restore(String stashId) throws IOException {
        synchronized (syncLock) {
            if (stashId == null || stashId.contains("/") || stashId.startsWith(".")) {
                throw new VolumeFuseException("Invalid stash id '" + stashId + "'");
            }
            Path dir = stashRoot.resolve(stashId);
            Path manifestFile = dir.resolve("stash.json");
            if (!Files.exists(manifestFile)) {
                throw new VolumeFuseException("No stash '" + stashId + "' in " + stashRoot);
            }
            JsonNode manifest = MAPPER.readTree(manifestFile.toFile());
            List<String> restored = new ArrayList<>();
            fs.ns.writeLock().lock();
            try {
                VolumeFileSystem.Edit edit = new VolumeFileSystem.Edit();
                for (JsonNode entry : manifest.path("entries")) {
                    VolumePath path = VolumePath.of(entry.path("path").asText());
                    Local local = OverlayCodec.decode(path, entry);
                    restoreOne(path, local, dir.resolve("chunks"), edit);
                    restored.add(path.toString());
                }
                fs.apply(edit);
            } finally {
                fs.ns.writeLock().unlock();
            }
            deleteTree(dir);
            List<VolumePath> shown = new ArrayList<>();
            for (String path : restored) {
                VolumePath p = VolumePath.of(path.equals("/") ? "" : path);
                shown.addAll(p.ancestors());
                shown.add(p);
            }
            fs.kernelCache().invalidate(shown);
            return restored;
        }
    }

    private void restoreOne(VolumePath path, Local local, Path chunks, VolumeFileSystem.Edit edit) throws IOException {
        if (path.isRoot()) {
            if (local instanceof Local.Dir d) {
                fs.putOverlay(path, new Local.Dir(d.mode(), d.mtimeNanos(), false, false), edit);
            }
            return;
        }
        VolumeFileSystem.Resolved current = fs.resolve(path);
        if (local instanceof Local.Whiteout) {
            if (current != null) {
                fs.removeOverlaySubtreeAndHide(path, current, edit);
            }
            return;
        }
        ensureParents(path, edit);
        current = fs.resolve(path);
        if (local instanceof Local.Dir d) {
            if (current != null && current.isDirectory()) {
                boolean opaque = current.local() instanceof Local.Dir ld && ld.opaque();
                boolean shadows = current.local() instanceof Local.Dir ld2 && ld2.shadowsRemoteDir();
                fs.putOverlay(path, new Local.Dir(d.mode(), d.mtimeNanos(), opaque, shadows), edit);
                return;
            }
            if (current != null) {
                fs.removeOverlaySubtreeAndHide(path, current, edit);
            }
            fs.putOverlay(path, new Local.Dir(d.mode(), d.mtimeNanos(), true, fs.shadowsRemote(path)), edit);
            return;
        }
        if (current != null) {
            fs.removeOverlaySubtreeAndHide(path, current, edit);
        }
        if (local instanceof Local.FileRef f) {
            FileNode stashed = f.node();
            List<ChunkRef> refs = new ArrayList<>();
            for (ChunkRef ref : stashed.chunks) {
                if (ref instanceof ChunkRef.Dirty d) {
                    long id = fs.dirty.allocate();
                    Path source = chunks.resolve(Long.toString(d.id()));
                    if (Files.exists(source)) {
                        Files.move(source, fs.dirty.path(id), StandardCopyOption.ATOMIC_MOVE);
                    }
                    refs.add(new ChunkRef.Dirty(id));
                } else {
                    refs.add(ref);
                }
            }
            FileNode node = new FileNode(path, stashed.mode, stashed.mtimeNanos, stashed.size, refs);
            fs.putOverlay(path, new Local.FileRef(node), edit);
        } else {
            fs.putOverlay(path, local, edit);
        }
    }

    private void ensureParents(VolumePath path, VolumeFileSystem.Edit edit) {
        for (VolumePath ancestor : path.ancestors()) {
            VolumeFileSystem.Resolved resolved = fs.resolve(ancestor);
            if (resolved != null && resolved.isDirectory()) {
                continue;
            }
            if (resolved != null) {
                fs.removeOverlaySubtreeAndHide(ancestor, resolved, edit);
            }
            fs.putOverlay(ancestor, new Local.Dir(0755, VolumeFileSystem.now(), true, fs.shadowsRemote(ancestor)), edit);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The bytes on disk held by dirty chunks, for status. */
    public long dirtyBytes() throws IOException {
        return fs.dirty.usedBytes();
    }
}
