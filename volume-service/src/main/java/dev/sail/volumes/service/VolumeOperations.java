package dev.sail.volumes.service;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.PackId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.Merge;
import dev.sail.volumes.manifest.MergeResult;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import dev.sail.volumes.manifest.WireCodec;
import dev.sail.volumes.service.storage.ChunkStorage;
import dev.sail.volumes.service.store.ChunkRecord;
import dev.sail.volumes.service.store.PackRecord;
import dev.sail.volumes.service.store.CommitOutcome;
import dev.sail.volumes.service.store.CommitRecord;
import dev.sail.volumes.service.store.CommitWrite;
import dev.sail.volumes.service.store.IdempotencyRecord;
import dev.sail.volumes.service.store.ManifestStore;
import dev.sail.volumes.service.store.Org;
import dev.sail.volumes.service.store.VolumeRecord;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the API does, without HTTP: volumes, reads at a sequence, upload negotiation, commits and
 * downloads, always within one org.
 *
 * <p>Commits on one volume are serialized by a lock per volume; different volumes commit in parallel.
 * A commit holds the read side of {@code chunkLock} from the moment it checks its chunks until its
 * batch is written, and an upload plan while it reads and refreshes the org's chunk registry; garbage
 * collection deletes only while holding the write side, so a chunk a commit has checked cannot vanish
 * before the commit references it, and a plan never claims a chunk GC is deleting.
 *
 * <p>Thread-safe.
 */
public final class VolumeOperations {
    /** Most chunks one upload or download request may name. */
    public static final int MAX_CHUNKS_PER_REQUEST = 10_000;
    /** Most entries one page may hold. */
    public static final int MAX_PAGE = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(VolumeOperations.class);
    private static final HexFormat HEX = HexFormat.of();
    private static final int PARALLEL_HEADS = 32;

    private final ManifestStore store;
    private final ChunkStorage storage;
    private final ServiceMetrics metrics;
    private final ChunkLayout newVolumeLayout;
    private final Clock clock;
    private final ReadWriteLock chunkLock;
    private final ConcurrentHashMap<String, ReentrantLock> volumeLocks = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final Object drainLock = new Object();
    private int inFlight;
    private boolean draining;

    /** A volume and whether this request created it. */
    public record Found(VolumeRecord volume, boolean created) {
    }

    /** One page of versions and the cursor for the next (empty on the last page). */
    public record VersionPage(long seq, List<Versioned> items, Optional<String> next) {
        public VersionPage {
            items = List.copyOf(items);
        }
    }

    /** Chunks the org lacks with their presigned PUTs, and chunks it already holds. */
    /**
     * What a client uploads and how: a presigned PUT for each missing chunk it uploads alone, the chunks
     * the org holds, and the missing chunks small enough to go in a pack (only when the client packs).
     */
    public record UploadPlan(Map<ChunkId, ChunkStorage.Presigned> uploads, List<ChunkId> present, List<ChunkId> packable,
                             Duration expiresIn) {
        public UploadPlan {
            uploads = Collections.unmodifiableMap(new LinkedHashMap<>(uploads));
            present = List.copyOf(present);
            packable = List.copyOf(packable);
        }
    }

    /** How a client uploads the chunks it plans. */
    public enum UploadMode {
        /** Every missing chunk alone, through its own presigned PUT. */
        CHUNKS,
        /** Missing chunks of at most {@link #PACKABLE_CHUNK} bytes in packs, the others alone. */
        SMALL_CHUNKS_IN_PACKS
    }

    /** A pack a client is about to upload: its id (the SHA-256 of its bytes), its size, its chunks back to back. */
    public record PackRequest(PackId id, long size, List<ChunkSpec> chunks) {
        public PackRequest {
            chunks = List.copyOf(chunks);
        }
    }

    /** A chunk and its size in bytes. */
    public record ChunkSpec(ChunkId id, long size) {
    }

    /** The answer for one pack: where to PUT it, or nothing to do when the org holds all its chunks already. */
    public record PackUpload(PackId id, Optional<ChunkStorage.Presigned> upload) {
    }

    /** The largest chunk that goes in a pack: past it, a chunk's own PUT costs little next to its bytes. */
    public static final long PACKABLE_CHUNK = 1L << 20;
    /** The largest pack. */
    public static final long MAX_PACK = 64L << 20;
    /** The most chunks in one pack. */
    public static final int MAX_PACK_CHUNKS = 10_000;

    /** A commit's outcome, and whether it is the replay of an earlier identical request. */
    public record CommitAnswer(CommitOutcome outcome, boolean replayed) {
    }

    public VolumeOperations(ManifestStore store, ChunkStorage storage, ServiceMetrics metrics, ChunkLayout newVolumeLayout,
                            Clock clock, ReadWriteLock chunkLock) {
        this.store = Objects.requireNonNull(store, "store");
        this.storage = Objects.requireNonNull(storage, "storage");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.newVolumeLayout = Objects.requireNonNull(newVolumeLayout, "newVolumeLayout");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.chunkLock = Objects.requireNonNull(chunkLock, "chunkLock");
    }

    // ---- volumes ----------------------------------------------------------------------------

    public List<VolumeRecord> listVolumes(Org org) {
        return store.listVolumes(org.id());
    }

    /** The named volume; 404 {@code volume_not_found} when the org has none by that name. */
    public VolumeRecord loadVolume(Org org, VolumeName name) {
        return store.findVolume(org.id(), name).orElseThrow(() ->
                new ServiceException(404, "volume_not_found", "Volume '" + name + "' does not exist"));
    }

    /** The named volume, created empty when missing and {@code mint} says so. */
    public Found findOrCreate(Org org, VolumeName name, MintPolicy mint) {
        Optional<VolumeRecord> existing = store.findVolume(org.id(), name);
        if (existing.isPresent()) {
            return new Found(existing.get(), false);
        }
        if (mint == MintPolicy.FIND_ONLY) {
            throw new ServiceException(404, "volume_not_found", "Volume '" + name
                    + "' does not exist (ask with mintIfMissing=true to create it)");
        }
        Optional<VolumeRecord> created = store.createVolume(org.id(), name, newVolumeLayout, clock.instant());
        if (created.isEmpty()) {
            // Another request created it in the meantime.
            return new Found(loadVolume(org, name), false);
        }
        LOG.info("Created volume '{}' ({}) in org '{}'", name, created.get().id(), org.name());
        return new Found(created.get(), true);
    }

    /** Whether a lookup may create the volume. */
    public enum MintPolicy { FIND_ONLY, CREATE_IF_MISSING }

    /** Deletes the volume and its history; its chunks become garbage for the collector. */
    public void deleteVolume(Org org, VolumeName name) {
        VolumeRecord volume = loadVolume(org, name);
        ReentrantLock lock = volumeLock(volume);
        lock.lock();
        try {
            VolumeRecord current = loadVolume(org, name);
            store.deleteVolume(current);
            LOG.info("Deleted volume '{}' ({}) of org '{}'", name, current.id(), org.name());
        } finally {
            lock.unlock();
        }
    }

    // ---- reads ------------------------------------------------------------------------------

    /** A path's version and the sequence it was read at. */
    public record Stat(long seq, Versioned version) {
    }

    /** The version of {@code path} at {@code at} (the head when empty); 404 when it does not exist there. */
    public Stat stat(Org org, VolumeName name, VolumePath path, OptionalLong at) {
        VolumeRecord volume = loadVolume(org, name);
        long seq = seqOrHead(volume, at, "at");
        Versioned version = store.find(volume, path, seq).filter(v -> v.entry().exists()).orElseThrow(() ->
                ServiceException.notFound("Path '" + path + "' does not exist at commit " + seq + " of volume '" + name + "'"));
        return new Stat(seq, version);
    }

    /** One page of the children of {@code directory} at {@code at}, sorted by name. */
    public VersionPage list(Org org, VolumeName name, VolumePath directory, OptionalLong at, String after, int limit) {
        VolumeRecord volume = loadVolume(org, name);
        long seq = seqOrHead(volume, at, "at");
        checkLimit(limit);
        Versioned dir = store.find(volume, directory, seq).filter(v -> v.entry().exists()).orElseThrow(() ->
                ServiceException.notFound("Directory '" + directory + "' does not exist at commit " + seq + " of volume '" + name + "'"));
        if (!(dir.entry() instanceof Entry.Directory)) {
            throw new ServiceException(409, "not_a_directory", "Cannot list '" + directory + "' at commit " + seq
                    + " of volume '" + name + "': it is not a directory");
        }
        List<Versioned> children = store.list(volume, directory, seq, after, limit + 1);
        Optional<String> next = Optional.empty();
        if (children.size() > limit) {
            children = children.subList(0, limit);
            next = Optional.of(children.getLast().path().name());
        }
        return new VersionPage(seq, children, next);
    }

    /**
     * One page of every path whose state at {@code to} differs from its state at {@code from}, with its
     * state at {@code to} (a delete marker when gone), sorted by path, after the path {@code after}.
     */
    public VersionPage delta(Org org, VolumeName name, long from, OptionalLong to, String after, int limit) {
        VolumeRecord volume = loadVolume(org, name);
        long toSeq = seqOrHead(volume, to, "to");
        if (from < 0 || from > toSeq) {
            throw ServiceException.invalidRequest("Invalid delta of volume '" + name + "': from " + from
                    + " must lie between 0 and to " + toSeq);
        }
        checkReadable(volume, from, "from");
        checkLimit(limit);
        SortedSet<VolumePath> changed = store.changedPaths(volume, from, toSeq);
        if (after != null) {
            changed = changed.tailSet(VolumePath.of(after));
        }
        List<Versioned> items = new ArrayList<>();
        Optional<String> next = Optional.empty();
        for (VolumePath path : changed) {
            if (after != null && path.value().equals(after)) {
                continue;
            }
            Optional<Versioned> now = store.find(volume, path, toSeq);
            Optional<Entry> then = store.find(volume, path, from).map(Versioned::entry).filter(Entry::exists);
            Optional<Entry> nowEntry = now.map(Versioned::entry).filter(Entry::exists);
            if (now.isEmpty() || nowEntry.equals(then)) {
                continue;
            }
            if (items.size() == limit) {
                next = Optional.of(items.getLast().path().value());
                break;
            }
            items.add(now.get());
        }
        return new VersionPage(toSeq, items, next);
    }

    /** Up to {@code limit} commits before {@code before} (all when empty), newest first. */
    public List<CommitRecord> history(Org org, VolumeName name, OptionalLong before, int limit) {
        VolumeRecord volume = loadVolume(org, name);
        checkLimit(limit);
        return store.commits(volume, before.orElse(Long.MAX_VALUE), limit);
    }

    // ---- chunks -----------------------------------------------------------------------------

    /**
     * For each chunk the org does not hold, a presigned PUT; chunks it holds are listed as present
     * (and their claim refreshed, so garbage collection keeps them for the commit that follows).
     */
    public UploadPlan planUploads(Org org, VolumeName name, Map<ChunkId, Long> chunks) {
        return planUploads(org, name, chunks, UploadMode.CHUNKS);
    }

    /**
     * As {@link #planUploads(Org, VolumeName, Map)}; with {@link UploadMode#SMALL_CHUNKS_IN_PACKS}, the
     * missing chunks of at most {@link #PACKABLE_CHUNK} bytes get no URL but are listed as packable: the
     * client uploads them in packs ({@link #packUploads}).
     */
    public UploadPlan planUploads(Org org, VolumeName name, Map<ChunkId, Long> chunks, UploadMode mode) {
        loadVolume(org, name);
        checkChunkCount(chunks.size());
        Instant now = clock.instant();
        List<ChunkRecord> claimed = new ArrayList<>();
        List<ChunkId> missing = new ArrayList<>();
        // Under the chunk lock, like a commit: GC cannot delete a chunk between the moment this plan
        // finds it and the moment its claim is written, or the claim would vouch for a deleted chunk.
        chunkLock.readLock().lock();
        try {
            List<ChunkId> unknown = new ArrayList<>();
            for (Map.Entry<ChunkId, Long> chunk : chunks.entrySet()) {
                Optional<ChunkRecord> known = store.findChunk(org.id(), chunk.getKey());
                if (known.isPresent()) {
                    checkSize(known.get().id(), known.get().size(), chunk.getValue());
                    claimed.add(known.get().claimedAt(now));
                } else {
                    unknown.add(chunk.getKey());
                }
            }
            // A chunk offered before may have been uploaded for a commit that then failed: it is in
            // storage but not registered. Only those are worth a HEAD; a chunk never offered cannot be there.
            List<ChunkId> offeredBefore = unknown.stream().filter(id -> store.wasIssued(org.id(), id)).toList();
            Map<ChunkId, OptionalLong> stored = headAll(org, offeredBefore);
            for (ChunkId id : unknown) {
                OptionalLong size = stored.getOrDefault(id, OptionalLong.empty());
                if (size.isPresent() && size.getAsLong() == chunks.get(id)) {
                    claimed.add(new ChunkRecord(id, chunks.get(id), now));
                } else {
                    missing.add(id);
                }
            }
            store.putChunks(org.id(), claimed);
        } finally {
            chunkLock.readLock().unlock();
        }
        Map<ChunkId, ChunkStorage.Presigned> uploads = new LinkedHashMap<>();
        List<ChunkId> packable = new ArrayList<>();
        for (ChunkId id : missing) {
            if (mode == UploadMode.SMALL_CHUNKS_IN_PACKS && chunks.get(id) <= PACKABLE_CHUNK) {
                packable.add(id);
            } else {
                uploads.put(id, storage.presignPut(org.id(), id, chunks.get(id)));
            }
        }
        store.markIssued(org.id(), uploads.keySet(), now);
        List<ChunkId> present = claimed.stream().map(ChunkRecord::id).toList();
        metrics.uploadPlan(uploads.size() + packable.size(), present.size());
        return new UploadPlan(uploads, present, packable, storage.presignExpiry());
    }

    /**
     * Presigned PUTs for packs a client is about to upload, each bound to the pack's SHA-256; the pack's
     * chunks count as held once a check ({@link #verifyUploads}) finds the pack in storage. A pack whose
     * chunks the org all holds already needs no upload.
     */
    public List<PackUpload> packUploads(Org org, VolumeName name, List<PackRequest> packs) {
        loadVolume(org, name);
        if (packs.size() > 1000) {
            throw new ServiceException(400, "too_many_packs", "At most 1000 packs per request, got " + packs.size());
        }
        Instant now = clock.instant();
        List<PackUpload> answers = new ArrayList<>();
        for (PackRequest request : packs) {
            PackRecord pack = packRecord(request, now);
            boolean allHeld = true;
            for (PackRecord.Member member : pack.chunks()) {
                Optional<ChunkRecord> known = store.findChunk(org.id(), member.id());
                if (known.isPresent()) {
                    checkSize(member.id(), known.get().size(), member.size());
                } else {
                    allHeld = false;
                }
            }
            if (allHeld) {
                answers.add(new PackUpload(pack.id(), Optional.empty()));
                continue;
            }
            store.putPack(org.id(), pack);
            answers.add(new PackUpload(pack.id(), Optional.of(storage.presignPackPut(org.id(), pack.id(), pack.size()))));
        }
        return answers;
    }

    /** Checks a pack request and turns it into a record: chunks back to back, sizes that add up, within limits. */
    private static PackRecord packRecord(PackRequest request, Instant now) {
        String what = "Invalid pack " + request.id().abbreviated() + ": ";
        if (request.chunks().isEmpty() || request.chunks().size() > MAX_PACK_CHUNKS) {
            throw new ServiceException(400, "invalid_pack", what + "a pack holds 1 to " + MAX_PACK_CHUNKS + " chunks, this one "
                    + request.chunks().size());
        }
        if (request.size() <= 0 || request.size() > MAX_PACK) {
            throw new ServiceException(400, "invalid_pack", what + "a pack holds 1 to " + MAX_PACK + " bytes, this one " + request.size());
        }
        List<PackRecord.Member> members = new ArrayList<>();
        Set<ChunkId> seen = new HashSet<>();
        long offset = 0;
        for (ChunkSpec chunk : request.chunks()) {
            if (chunk.size() <= 0 || chunk.size() > PACKABLE_CHUNK) {
                throw new ServiceException(400, "invalid_pack", what + "chunk " + chunk.id().abbreviated() + " has " + chunk.size()
                        + " bytes; packed chunks have 1 to " + PACKABLE_CHUNK);
            }
            if (!seen.add(chunk.id())) {
                throw new ServiceException(400, "invalid_pack", what + "chunk " + chunk.id().abbreviated() + " appears twice");
            }
            members.add(new PackRecord.Member(chunk.id(), offset, chunk.size()));
            offset += chunk.size();
        }
        if (offset != request.size()) {
            throw new ServiceException(400, "invalid_pack", what + "its chunks hold " + offset + " bytes, the pack " + request.size());
        }
        return new PackRecord(request.id(), request.size(), members, now);
    }

    /**
     * Checks chunks a client has just uploaded, before it commits: each one the org does not hold yet is
     * looked up in storage (HEAD) and, when there with the expected size, registered, so that the commit
     * that follows need not check it again. Answers the chunks now held; the others are simply not held
     * (a commit naming them fails with {@code missing_chunks} unless they arrive meanwhile). Clients call
     * this while the rest of their upload runs, which takes the checks off the commit's critical path.
     */
    public Set<ChunkId> verifyUploads(Org org, VolumeName name, Map<ChunkId, Long> chunks) {
        return verifyUploads(org, name, chunks, Map.of());
    }

    /**
     * As {@link #verifyUploads(Org, VolumeName, Map)}, and for each pack of {@code packs} (id to size) that
     * storage holds with that size, registers every chunk it holds that the org does not hold otherwise;
     * answers those too. A pack nobody announced ({@link #packUploads}) is 404 {@code unknown_pack}.
     */
    public Set<ChunkId> verifyUploads(Org org, VolumeName name, Map<ChunkId, Long> chunks, Map<PackId, Long> packs) {
        loadVolume(org, name);
        checkChunkCount(chunks.size());
        if (packs.size() > 1000) {
            throw new ServiceException(400, "too_many_packs", "At most 1000 packs per request, got " + packs.size());
        }
        List<PackRecord> announced = new ArrayList<>();
        for (Map.Entry<PackId, Long> pack : packs.entrySet()) {
            PackRecord record = store.findPack(org.id(), pack.getKey()).orElseThrow(() -> new ServiceException(404, "unknown_pack",
                    "Pack " + pack.getKey().abbreviated() + " was never announced in volume '" + name + "'"));
            if (record.size() != pack.getValue()) {
                throw new ServiceException(400, "invalid_pack", "Pack " + pack.getKey().abbreviated() + " holds " + record.size()
                        + " bytes, the request says " + pack.getValue());
            }
            announced.add(record);
        }
        Set<ChunkId> held = new LinkedHashSet<>();
        if (!announced.isEmpty()) {
            held.addAll(verifyPacks(org, announced));
        }
        // Under the chunk lock, like a commit: GC cannot delete a chunk between its HEAD and its registration.
        chunkLock.readLock().lock();
        try {
            List<ChunkId> unknown = new ArrayList<>();
            for (Map.Entry<ChunkId, Long> chunk : chunks.entrySet()) {
                Optional<ChunkRecord> known = store.findChunk(org.id(), chunk.getKey());
                if (known.isPresent()) {
                    checkSize(chunk.getKey(), known.get().size(), chunk.getValue());
                    held.add(chunk.getKey());
                } else {
                    unknown.add(chunk.getKey());
                }
            }
            Map<ChunkId, OptionalLong> stored = headAll(org, unknown);
            Instant now = clock.instant();
            List<ChunkRecord> verified = new ArrayList<>();
            for (ChunkId id : unknown) {
                OptionalLong size = stored.getOrDefault(id, OptionalLong.empty());
                if (size.isPresent() && size.getAsLong() == chunks.get(id)) {
                    verified.add(new ChunkRecord(id, size.getAsLong(), now));
                    held.add(id);
                }
            }
            store.putChunks(org.id(), verified);
            metrics.uploadsVerified(verified.size(), unknown.size() - verified.size());
        } finally {
            chunkLock.readLock().unlock();
        }
        return held;
    }

    /** HEADs each pack and registers the chunks of those in storage; answers every chunk of theirs the org now holds. */
    private Set<ChunkId> verifyPacks(Org org, List<PackRecord> packs) {
        Set<ChunkId> held = new LinkedHashSet<>();
        chunkLock.readLock().lock();
        try {
            Instant now = clock.instant();
            for (PackRecord pack : packs) {
                OptionalLong size = storage.packSizeOf(org.id(), pack.id());
                if (size.isEmpty() || size.getAsLong() != pack.size()) {
                    metrics.uploadsVerified(0, pack.chunks().size());
                    continue;
                }
                List<ChunkRecord> members = new ArrayList<>();
                for (PackRecord.Member member : pack.chunks()) {
                    members.add(new ChunkRecord(member.id(), member.size(), now,
                            Optional.of(new ChunkRecord.Slice(pack.id(), member.offset()))));
                    held.add(member.id());
                }
                // A chunk held already (alone, or in another pack) keeps where it is.
                int registered = store.putChunksIfAbsent(org.id(), members).size();
                metrics.uploadsVerified(registered, 0);
            }
        } finally {
            chunkLock.readLock().unlock();
        }
        return held;
    }

    /** Presigned GETs, only for chunks this volume's history references; 404 {@code unknown_chunk} otherwise. */
    public Map<ChunkId, ChunkStorage.Presigned> downloads(Org org, VolumeName name, List<ChunkId> chunks) {
        VolumeRecord volume = loadVolume(org, name);
        checkChunkCount(chunks.size());
        Map<ChunkId, ChunkStorage.Presigned> urls = new LinkedHashMap<>();
        for (ChunkId id : chunks) {
            if (!store.isReferenced(volume, id)) {
                throw new ServiceException(404, "unknown_chunk", "Chunk " + id + " is not referenced by volume '" + name + "'");
            }
            Optional<ChunkRecord> record = store.findChunk(org.id(), id);
            Optional<ChunkRecord.Slice> slice = record.flatMap(ChunkRecord::slice);
            if (slice.isPresent()) {
                urls.put(id, storage.presignPackSlice(org.id(), slice.get().pack(), slice.get().offset(), record.get().size()));
            } else {
                urls.put(id, storage.presignGet(org.id(), id));
            }
        }
        return urls;
    }

    public Duration presignExpiry() {
        return storage.presignExpiry();
    }

    // ---- commits ----------------------------------------------------------------------------

    /**
     * Checks every chunk the proposal references, merges it onto the head and stores it at the next
     * sequence in one synced write. A retry with the same idempotency key and proposal answers the first
     * outcome; the same key with another proposal is refused (409 {@code idempotency_conflict}).
     *
     * @throws MissingChunksException when a referenced chunk is not in storage; nothing changes
     */
    public CommitAnswer commit(Org org, VolumeName name, CommitProposal proposal) {
        return commit(org, name, proposal, WireCodec.bytes(WireCodec.proposalNode(proposal)));
    }

    /**
     * {@link #commit(Org, VolumeName, CommitProposal)} of a proposal received as {@code body}: the
     * idempotency check compares the body's bytes (the API's "same key and body"), so a large commit
     * is not encoded a second time just to be hashed.
     */
    public CommitAnswer commit(Org org, VolumeName name, CommitProposal proposal, byte[] body) {
        enter();
        try {
            VolumeRecord volume = loadVolume(org, name);
            String requestHash = sha256Hex(body);
            Optional<CommitAnswer> replay = replay(volume, proposal, requestHash);
            if (replay.isPresent()) {
                return replay.get();
            }
            Map<ChunkId, Long> referenced = referencedChunks(volume, proposal);
            chunkLock.readLock().lock();
            try {
                List<ChunkRecord> verified = verifyChunks(org, volume, referenced);
                ReentrantLock lock = volumeLock(volume);
                lock.lock();
                try {
                    return apply(org, name, proposal, requestHash, referenced, verified);
                } finally {
                    lock.unlock();
                }
            } finally {
                chunkLock.readLock().unlock();
            }
        } finally {
            exit();
        }
    }

    private CommitAnswer apply(Org org, VolumeName name, CommitProposal proposal, String requestHash,
                               Map<ChunkId, Long> referenced, List<ChunkRecord> verified) {
        VolumeRecord volume = loadVolume(org, name);
        Optional<CommitAnswer> replay = replay(volume, proposal, requestHash);
        if (replay.isPresent()) {
            return replay.get();
        }
        if (proposal.baseSeq() > volume.headSeq()) {
            throw new ServiceException(409, "stale_base", "Cannot commit to volume '" + name + "' on base " + proposal.baseSeq()
                    + ": the head is at " + volume.headSeq());
        }
        MergeResult merged;
        try (ManifestStore.HeadView head = store.head(volume)) {
            merged = Merge.apply(head, proposal);
        }
        long seq = volume.headSeq() + 1;
        String commitId = newCommitId();
        CommitRecord record = new CommitRecord(commitId, seq, clock.instant(), proposal.mountId(), merged.writes().size(),
                merged.overwritten());
        VolumeRecord head = volume.withHead(seq, commitId);
        store.commit(new CommitWrite(head, record, merged.writes(), referenced.keySet(), verified,
                proposal.idempotencyKey(), requestHash));
        long bytes = 0;
        for (Change change : proposal.changes()) {
            if (change.entry() instanceof Entry.File file) {
                bytes += file.size();
            }
        }
        metrics.commit(merged.writes().size(), bytes);
        LOG.debug("Committed {} to volume '{}' at {}: {} writes, {} overwritten", commitId, name, seq,
                merged.writes().size(), merged.overwritten().size());
        return new CommitAnswer(new CommitOutcome(commitId, seq, merged.overwritten(), merged.writes().size()), false);
    }

    private Optional<CommitAnswer> replay(VolumeRecord volume, CommitProposal proposal, String requestHash) {
        Optional<IdempotencyRecord> earlier = store.findIdempotency(volume, proposal.idempotencyKey());
        if (earlier.isEmpty()) {
            return Optional.empty();
        }
        if (!earlier.get().requestHash().equals(requestHash)) {
            throw new ServiceException(409, "idempotency_conflict", "Cannot commit to volume '" + volume.name()
                    + "': idempotency key '" + proposal.idempotencyKey() + "' was used for a different commit ("
                    + earlier.get().outcome().commit() + ")");
        }
        metrics.commitReplayed();
        return Optional.of(new CommitAnswer(earlier.get().outcome(), true));
    }

    /** Every chunk the proposal's files reference, with the size the volume's layout gives it. */
    private static Map<ChunkId, Long> referencedChunks(VolumeRecord volume, CommitProposal proposal) {
        Map<ChunkId, Long> sizes = new HashMap<>();
        for (Change change : proposal.changes()) {
            if (change.entry() instanceof Entry.File file) {
                file.checkLayout(volume.layout());
                for (int i = 0; i < file.chunks().size(); i++) {
                    ChunkId id = file.chunks().get(i);
                    long size = volume.layout().range(i, file.size()).length();
                    Long other = sizes.putIfAbsent(id, size);
                    if (other != null && other != size) {
                        throw new ServiceException(400, "invalid_entry", "Invalid commit: chunk " + id.abbreviated()
                                + " appears with " + other + " and with " + size + " bytes ('" + change.path() + "')");
                    }
                }
            }
        }
        return sizes;
    }

    /** Checks each chunk in the registry, or by HEAD; answers the ones verified by HEAD, to register. */
    private List<ChunkRecord> verifyChunks(Org org, VolumeRecord volume, Map<ChunkId, Long> referenced) {
        List<ChunkId> unregistered = new ArrayList<>();
        for (Map.Entry<ChunkId, Long> chunk : referenced.entrySet()) {
            Optional<ChunkRecord> known = store.findChunk(org.id(), chunk.getKey());
            if (known.isPresent()) {
                checkSize(chunk.getKey(), known.get().size(), chunk.getValue());
            } else {
                unregistered.add(chunk.getKey());
            }
        }
        Map<ChunkId, OptionalLong> stored = headAll(org, unregistered);
        List<ChunkId> missing = new ArrayList<>();
        List<ChunkRecord> verified = new ArrayList<>();
        Instant now = clock.instant();
        for (ChunkId id : unregistered) {
            OptionalLong size = stored.get(id);
            if (size.isPresent() && size.getAsLong() == referenced.get(id)) {
                verified.add(new ChunkRecord(id, size.getAsLong(), now));
            } else {
                missing.add(id);
            }
        }
        if (!missing.isEmpty()) {
            missing.sort(null);
            throw new MissingChunksException(volume.name().value(), missing);
        }
        return verified;
    }

    /** HEADs every chunk, {@value #PARALLEL_HEADS} at a time. */
    private Map<ChunkId, OptionalLong> headAll(Org org, List<ChunkId> chunks) {
        Map<ChunkId, OptionalLong> sizes = new HashMap<>();
        if (chunks.isEmpty()) {
            return sizes;
        }
        Semaphore permits = new Semaphore(PARALLEL_HEADS);
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            Map<ChunkId, Future<OptionalLong>> futures = new HashMap<>();
            for (ChunkId id : chunks) {
                futures.put(id, executor.submit(() -> {
                    permits.acquire();
                    try {
                        return storage.sizeOf(org.id(), id);
                    } finally {
                        permits.release();
                    }
                }));
            }
            for (Map.Entry<ChunkId, Future<OptionalLong>> f : futures.entrySet()) {
                sizes.put(f.getKey(), f.getValue().get());
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ServiceException serviceException) {
                throw serviceException;
            }
            throw ServiceException.internal("Cannot check chunks in storage: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceException(503, "unavailable", "Interrupted while checking chunks in storage", e);
        }
        return sizes;
    }

    // ---- history ----------------------------------------------------------------------------

    /**
     * Prunes every volume's history so that only its {@code retainCommits} newest commits stay readable
     * (0 keeps everything). Runs under each volume's commit lock; answers how many path versions it dropped.
     */
    public long pruneHistory(int retainCommits) {
        if (retainCommits <= 0) {
            return 0;
        }
        long dropped = 0;
        for (Org org : store.listOrgs()) {
            for (VolumeRecord listed : store.listVolumes(org.id())) {
                if (listed.headSeq() - retainCommits + 1 <= listed.floorSeq()) {
                    continue;
                }
                ReentrantLock lock = volumeLock(listed);
                lock.lock();
                try {
                    Optional<VolumeRecord> current = store.findVolume(org.id(), listed.name());
                    if (current.isPresent() && current.get().id().equals(listed.id())) {
                        long floor = current.get().headSeq() - retainCommits + 1;
                        dropped += store.prune(current.get(), floor).versionsDropped();
                    }
                } finally {
                    lock.unlock();
                }
            }
        }
        if (dropped > 0) {
            LOG.info("Pruned {} path versions older than each volume's last {} commits", dropped, retainCommits);
        }
        return dropped;
    }

    // ---- shutdown ---------------------------------------------------------------------------

    /**
     * Refuses new commits (503) and waits up to {@code timeout} for the ones in flight to finish.
     *
     * @return true when none is left in flight
     */
    public boolean drain(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (drainLock) {
            draining = true;
            while (inFlight > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(drainLock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** True once {@link #drain} was called: new commits are refused. */
    public boolean isDraining() {
        synchronized (drainLock) {
            return draining;
        }
    }

    private void enter() {
        synchronized (drainLock) {
            if (draining) {
                throw new ServiceException(503, "unavailable", "The service is shutting down: commit again shortly");
            }
            inFlight++;
        }
    }

    private void exit() {
        synchronized (drainLock) {
            inFlight--;
            drainLock.notifyAll();
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    private ReentrantLock volumeLock(VolumeRecord volume) {
        return volumeLocks.computeIfAbsent(volume.id(), id -> new ReentrantLock());
    }

    private static long seqOrHead(VolumeRecord volume, OptionalLong at, String parameter) {
        if (at.isEmpty()) {
            return volume.headSeq();
        }
        long seq = at.getAsLong();
        checkReadable(volume, seq, parameter);
        return seq;
    }

    private static void checkReadable(VolumeRecord volume, long seq, String parameter) {
        if (seq < 0 || seq > volume.headSeq()) {
            throw new ServiceException(404, "unknown_seq", "Volume '" + volume.name() + "' has no commit " + seq
                    + " (" + parameter + "): its head is at " + volume.headSeq());
        }
        if (seq < volume.floorSeq()) {
            throw new ServiceException(404, "unknown_seq", "Commit " + seq + " (" + parameter + ") of volume '" + volume.name()
                    + "' is no longer readable: history before " + volume.floorSeq() + " was pruned");
        }
    }

    private static void checkLimit(int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw ServiceException.invalidRequest("Invalid limit " + limit + ": use 1-" + MAX_PAGE);
        }
    }

    private static void checkChunkCount(int count) {
        if (count > MAX_CHUNKS_PER_REQUEST) {
            throw ServiceException.invalidRequest("Too many chunks in one request: " + count + ", over the limit of "
                    + MAX_CHUNKS_PER_REQUEST);
        }
    }

    private static void checkSize(ChunkId id, long stored, long expected) {
        if (stored != expected) {
            throw new ServiceException(400, "invalid_chunk", "Chunk " + id.abbreviated() + " holds " + stored
                    + " bytes, the request says " + expected);
        }
    }

    private String newCommitId() {
        byte[] bytes = new byte[10];
        random.nextBytes(bytes);
        return "c" + HEX.formatHex(bytes);
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }
}
