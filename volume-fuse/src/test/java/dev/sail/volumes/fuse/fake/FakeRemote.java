package dev.sail.volumes.fuse.fake;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.ChunkTransfer;
import dev.sail.volumes.client.CommitResult;
import dev.sail.volumes.client.Page;
import dev.sail.volumes.client.PackSpec;
import dev.sail.volumes.client.PackUpload;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.client.VolumeInfo;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.ManifestView;
import dev.sail.volumes.manifest.Merge;
import dev.sail.volumes.manifest.MergeResult;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * An in-memory volume service and chunk storage with the real merge rule, for tests of the guest
 * without a server. Counts what moves (uploads, downloads, listings) so tests can assert laziness
 * and byte counts. Thread-safe (every method is synchronized).
 */
public final class FakeRemote {
    public final Map<ChunkId, byte[]> storage = new ConcurrentHashMap<>();
    public final AtomicInteger chunksUploaded = new AtomicInteger();
    public final AtomicLong bytesUploaded = new AtomicLong();
    public final AtomicInteger chunksDownloaded = new AtomicInteger();
    public final AtomicInteger listCalls = new AtomicInteger();
    public final AtomicInteger downloadUrlCalls = new AtomicInteger();
    private final Map<VolumeName, FakeVolume> volumes = new HashMap<>();
    private final ChunkLayout layout;
    private volatile boolean unreachable;

    public FakeRemote(ChunkLayout layout) {
        this.layout = layout;
    }

    /** Makes every service call fail as if the network were down (or back up). */
    public void setUnreachable(boolean unreachable) {
        this.unreachable = unreachable;
    }

    private static final class FakeVolume {
        final VolumeName name;
        final Instant created = Instant.now();
        /** Newest version of every path ever written, delete markers included. */
        final TreeMap<VolumePath, Versioned> newest = new TreeMap<>();
        /** The live state after each commit; index = sequence. */
        final List<TreeMap<VolumePath, Versioned>> snapshots = new ArrayList<>();
        final List<String> commitIds = new ArrayList<>();
        final Map<String, CommitResult> byKey = new HashMap<>();

        FakeVolume(VolumeName name) {
            this.name = name;
            snapshots.add(new TreeMap<>());
            commitIds.add("");
        }

        long head() {
            return snapshots.size() - 1;
        }
    }

    public VolumeService service() {
        return new Service();
    }

    public ChunkTransfer transfer() {
        return new Transfer();
    }

    private void check() {
        if (unreachable) {
            throw new dev.sail.volumes.client.ServiceUnavailableException("Fake service unreachable", null);
        }
    }

    private final class Service implements VolumeService {
        @Override
        public List<VolumeInfo> listVolumes() {
            synchronized (FakeRemote.this) {
                check();
                return volumes.values().stream().map(FakeRemote.this::info).toList();
            }
        }

        @Override
        public Optional<VolumeInfo> findVolume(VolumeName name) {
            synchronized (FakeRemote.this) {
                check();
                return Optional.ofNullable(volumes.get(name)).map(FakeRemote.this::info);
            }
        }

        @Override
        public VolumeInfo createVolumeIfMissing(VolumeName name) {
            synchronized (FakeRemote.this) {
                check();
                return info(volumes.computeIfAbsent(name, FakeVolume::new));
            }
        }

        @Override
        public void deleteVolume(VolumeName name) {
            synchronized (FakeRemote.this) {
                volumes.remove(name);
            }
        }

        @Override
        public Optional<Versioned> stat(VolumeName volume, VolumePath path, long atSeq) {
            synchronized (FakeRemote.this) {
                check();
                return Optional.ofNullable(load(volume).snapshots.get((int) atSeq).get(path));
            }
        }

        @Override
        public Page<Versioned> list(VolumeName volume, VolumePath directory, long atSeq, String after, int limit) {
            synchronized (FakeRemote.this) {
                check();
                listCalls.incrementAndGet();
                TreeMap<VolumePath, Versioned> state = load(volume).snapshots.get((int) atSeq);
                if (!directory.isRoot()) {
                    Versioned dir = state.get(directory);
                    if (dir == null) {
                        throw new VolumeServiceException(404, "not_found", "No directory '" + directory + "'");
                    }
                    if (!(dir.entry() instanceof Entry.Directory)) {
                        throw new VolumeServiceException(409, "not_a_directory", "'" + directory + "' is not a directory");
                    }
                }
                TreeMap<String, Versioned> children = new TreeMap<>();
                for (Versioned v : state.values()) {
                    if (v.path().parent().map(directory::equals).orElse(false)) {
                        children.put(v.path().name(), v);
                    }
                }
                List<Versioned> items = new ArrayList<>();
                for (Versioned v : (after == null ? children : children.tailMap(after, false)).values()) {
                    if (items.size() == limit) {
                        return new Page<>(items, Optional.of(items.getLast().path().name()));
                    }
                    items.add(v);
                }
                return new Page<>(items, Optional.empty());
            }
        }

        @Override
        public Page<Versioned> delta(VolumeName volume, long fromSeq, long toSeq, String after, int limit) {
            synchronized (FakeRemote.this) {
                check();
                FakeVolume v = load(volume);
                TreeMap<VolumePath, Versioned> from = v.snapshots.get((int) fromSeq);
                TreeMap<VolumePath, Versioned> to = v.snapshots.get((int) toSeq);
                TreeSet<VolumePath> paths = new TreeSet<>(from.keySet());
                paths.addAll(to.keySet());
                List<Versioned> changes = new ArrayList<>();
                for (VolumePath path : paths) {
                    Versioned a = from.get(path);
                    Versioned b = to.get(path);
                    if (a == null || b == null || a.seq() != b.seq()) {
                        if (after != null && path.compareTo(VolumePath.of(after)) <= 0) {
                            continue;
                        }
                        if (changes.size() == limit) {
                            return new Page<>(changes, Optional.of(changes.getLast().path().value()));
                        }
                        changes.add(b != null ? b : new Versioned(path, Entry.DELETED, toSeq));
                    }
                }
                return new Page<>(changes, Optional.empty());
            }
        }

        @Override
        public UploadPlan planUploads(VolumeName volume, Collection<ChunkSpec> chunks) {
            synchronized (FakeRemote.this) {
                check();
                List<PresignedUrl> uploads = new ArrayList<>();
                Set<ChunkId> present = new HashSet<>();
                for (ChunkSpec spec : chunks) {
                    if (storage.containsKey(spec.id())) {
                        present.add(spec.id());
                    } else {
                        uploads.add(url(spec.id()));
                    }
                }
                return new UploadPlan(uploads, present);
            }
        }

        /** The fake never packs: every missing chunk gets its own URL, as from a service that does not pack. */
        @Override
        public UploadPlan planPackedUploads(VolumeName volume, Collection<ChunkSpec> chunks) {
            return planUploads(volume, chunks);
        }

        @Override
        public List<PackUpload> packUploads(VolumeName volume, List<PackSpec> packs) {
            throw new UnsupportedOperationException("The fake remote offers no packing, so nobody asks it for pack URLs");
        }

        @Override
        public Set<ChunkId> verifyUploads(VolumeName volume, Collection<ChunkSpec> chunks, Collection<PackSpec> packs) {
            if (!packs.isEmpty()) {
                throw new UnsupportedOperationException("The fake remote offers no packing");
            }
            return verifyUploads(volume, chunks);
        }

        @Override
        public Set<ChunkId> verifyUploads(VolumeName volume, Collection<ChunkSpec> chunks) {
            synchronized (FakeRemote.this) {
                check();
                Set<ChunkId> held = new HashSet<>();
                for (ChunkSpec spec : chunks) {
                    if (storage.containsKey(spec.id())) {
                        held.add(spec.id());
                    }
                }
                return held;
            }
        }

        @Override
        public CommitResult commit(VolumeName volume, CommitProposal proposal) {
            synchronized (FakeRemote.this) {
                check();
                FakeVolume v = load(volume);
                CommitResult replay = v.byKey.get(proposal.idempotencyKey());
                if (replay != null) {
                    return new CommitResult(replay.commit(), replay.seq(), replay.overwritten(), replay.applied(), true);
                }
                List<String> missing = new ArrayList<>();
                for (Change change : proposal.changes()) {
                    if (change.entry() instanceof Entry.File file) {
                        file.checkLayout(layout);
                        file.chunks().stream().filter(id -> !storage.containsKey(id)).forEach(id -> missing.add(id.toString()));
                    }
                }
                if (!missing.isEmpty()) {
                    throw new VolumeServiceException(409, "missing_chunks", "Chunks missing: " + missing);
                }
                ManifestView view = new ManifestView() {
                    @Override
                    public Optional<Versioned> find(VolumePath path) {
                        return Optional.ofNullable(v.newest.get(path));
                    }

                    @Override
                    public void forEachDescendant(VolumePath directory, Consumer<Versioned> action) {
                        v.newest.values().stream().filter(x -> directory.isAncestorOf(x.path()) && x.entry().exists()).toList().forEach(action);
                    }
                };
                MergeResult merged = Merge.apply(view, proposal);
                long seq = v.head() + 1;
                TreeMap<VolumePath, Versioned> live = new TreeMap<>(v.snapshots.getLast());
                for (Change write : merged.writes()) {
                    Versioned version = new Versioned(write.path(), write.entry(), seq);
                    v.newest.put(write.path(), version);
                    if (write.entry().exists()) {
                        live.put(write.path(), version);
                    } else {
                        live.remove(write.path());
                    }
                }
                v.snapshots.add(live);
                String id = "c" + seq + "-" + Objects.hash(proposal.idempotencyKey());
                v.commitIds.add(id);
                CommitResult result = new CommitResult(id, seq, merged.overwritten(), merged.writes().size(), false);
                v.byKey.put(proposal.idempotencyKey(), result);
                return result;
            }
        }

        @Override
        public List<PresignedUrl> downloadUrls(VolumeName volume, Collection<ChunkId> chunks) {
            synchronized (FakeRemote.this) {
                check();
                downloadUrlCalls.incrementAndGet();
                return chunks.stream().map(FakeRemote::url).toList();
            }
        }
    }

    private FakeVolume load(VolumeName name) {
        FakeVolume volume = volumes.get(name);
        if (volume == null) {
            throw new VolumeServiceException(404, "not_found", "No volume '" + name + "'");
        }
        return volume;
    }

    private VolumeInfo info(FakeVolume v) {
        return new VolumeInfo(v.name, "id-" + v.name, v.head(), v.commitIds.getLast(), v.created, layout);
    }

    /** The live entries of the volume at its head, for assertions. */
    public synchronized Map<VolumePath, Entry> head(VolumeName name) {
        Map<VolumePath, Entry> live = new TreeMap<>();
        load(name).snapshots.getLast().forEach((p, v) -> live.put(p, v.entry()));
        return live;
    }

    private static PresignedUrl url(ChunkId id) {
        return new PresignedUrl(id, URI.create("fake://storage/" + id), Map.of());
    }

    private final class Transfer implements ChunkTransfer {
        @Override
        public void uploadAll(List<Upload> uploads, Progress progress) throws IOException {
            for (Upload upload : uploads) {
                ByteBuffer bytes = upload.bytes().read();
                byte[] copy = new byte[bytes.remaining()];
                bytes.get(copy);
                ChunkId actual = ChunkHasher.hash(copy);
                if (!actual.equals(upload.target().id())) {
                    throw new IOException("BadDigest: uploaded bytes of " + upload.target().id().abbreviated() + " hash to " + actual.abbreviated());
                }
                storage.put(actual, copy);
                chunksUploaded.incrementAndGet();
                bytesUploaded.addAndGet(copy.length);
                progress.chunkDone(actual, copy.length);
            }
        }

        @Override
        public ByteBuffer download(PresignedUrl url) throws IOException {
            byte[] bytes = storage.get(url.id());
            if (bytes == null) {
                throw new IOException("NoSuchKey: chunk " + url.id().abbreviated());
            }
            chunksDownloaded.incrementAndGet();
            return ByteBuffer.wrap(bytes.clone());
        }

        @Override
        public void close() {
        }
    }
}
