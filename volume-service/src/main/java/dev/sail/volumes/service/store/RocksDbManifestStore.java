package dev.sail.volumes.service.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.chunking.PackId;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import dev.sail.volumes.manifest.WireCodec;
import dev.sail.volumes.service.ServiceException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * {@link ManifestStore} in RocksDB, three column families:
 *
 * <ul>
 *   <li>{@code versions}: {@code volumeId | dir | 0 | name | 0 | ~seq} → entry JSON. {@code dir} is
 *       {@code "/" + parent} (empty for the root itself), and the sequence is stored inverted (big-endian
 *       {@code Long.MAX_VALUE - seq}) so the first key at or after {@code ~S} is the version at S.
 *       Reading a path at S is one seek, listing a directory is two seeks per child.</li>
 *   <li>{@code changes}: {@code volumeId | seq | path} → nothing: the change log, so a delta costs what
 *       changed, not the volume's size.</li>
 *   <li>default: orgs, hashed keys, volumes, commit records, idempotency records, the chunk registry and
 *       chunk references, under readable string keys.</li>
 * </ul>
 *
 * A commit is one {@link WriteBatch} written with a synced WAL. Thread-safe (RocksDB is); {@link #close()}
 * closes column families, then the database, then options, and is safe to call twice.
 */
public final class RocksDbManifestStore implements ManifestStore {
    private static final byte[] VERSIONS = "versions".getBytes(StandardCharsets.UTF_8);
    private static final byte[] CHANGES = "changes".getBytes(StandardCharsets.UTF_8);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final HexFormat HEX = HexFormat.of();
    private static final Versioned EMPTY_ROOT = new Versioned(VolumePath.ROOT, new Entry.Directory(0755, 0), 0);

    static {
        RocksDB.loadLibrary();
    }

    private final Path directory;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final RocksDB db;
    private final ColumnFamilyHandle meta;
    private final ColumnFamilyHandle versions;
    private final ColumnFamilyHandle changes;
    private final WriteOptions synced;
    private final WriteOptions unsynced;
    private final SecureRandom random = new SecureRandom();
    private final Object createLock = new Object();
    private volatile boolean closed;

    private RocksDbManifestStore(Path directory, DBOptions dbOptions, ColumnFamilyOptions cfOptions, RocksDB db,
                                 List<ColumnFamilyHandle> handles) {
        this.directory = directory;
        this.dbOptions = dbOptions;
        this.cfOptions = cfOptions;
        this.db = db;
        this.meta = handles.get(0);
        this.versions = handles.get(1);
        this.changes = handles.get(2);
        this.synced = new WriteOptions().setSync(true);
        this.unsynced = new WriteOptions();
    }

    /** Opens (creating if needed) the store in {@code directory}. */
    public static RocksDbManifestStore open(Path directory) {
        DBOptions dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
        try {
            Files.createDirectories(directory);
            List<ColumnFamilyDescriptor> descriptors = List.of(
                    new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
                    new ColumnFamilyDescriptor(VERSIONS, cfOptions),
                    new ColumnFamilyDescriptor(CHANGES, cfOptions));
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            RocksDB db = RocksDB.open(dbOptions, directory.toString(), descriptors, handles);
            return new RocksDbManifestStore(directory, dbOptions, cfOptions, db, handles);
        } catch (RocksDBException | java.io.IOException e) {
            dbOptions.close();
            cfOptions.close();
            throw ServiceException.internal("Cannot open the manifest store in " + directory + ": " + e.getMessage(), e);
        }
    }

    // ---- orgs and keys ----------------------------------------------------------------------

    @Override
    public boolean isEmpty() {
        checkOpen();
        return listOrgs().isEmpty();
    }

    @Override
    public Optional<Org> findOrg(String name) {
        checkOpen();
        return readJson(meta, "org/" + name).map(RocksDbManifestStore::org);
    }

    @Override
    public List<Org> listOrgs() {
        checkOpen();
        List<Org> orgs = new ArrayList<>();
        scanPrefix(meta, "org/", (key, value) -> orgs.add(org(json(value))));
        return orgs;
    }

    @Override
    public Org createOrg(String name, Instant now) {
        checkOpen();
        Org.checkName(name);
        synchronized (createLock) {
            if (findOrg(name).isPresent()) {
                throw new ServiceException(409, "org_exists", "Cannot create org '" + name + "': it exists");
            }
            Org org = new Org(randomId(), name, now);
            ObjectNode node = NODES.objectNode();
            node.put("id", org.id());
            node.put("name", org.name());
            node.put("createdAt", org.createdAt().toEpochMilli());
            put(meta, "org/" + name, node, synced);
            return org;
        }
    }

    @Override
    public void putApiKey(String keyHash, Caller caller) {
        checkOpen();
        ObjectNode node = NODES.objectNode();
        switch (caller) {
            case Caller.Admin ignored -> node.put("admin", true);
            case Caller.Member member -> node.put("org", member.org().name());
        }
        put(meta, "key/" + keyHash, node, synced);
    }

    @Override
    public Optional<Caller> findCaller(String keyHash) {
        checkOpen();
        return readJson(meta, "key/" + keyHash).flatMap(node -> {
            if (node.path("admin").asBoolean(false)) {
                return Optional.of(new Caller.Admin());
            }
            return findOrg(node.path("org").asText()).map(Caller.Member::new);
        });
    }

    // ---- volumes ----------------------------------------------------------------------------

    @Override
    public List<VolumeRecord> listVolumes(String orgId) {
        checkOpen();
        List<VolumeRecord> result = new ArrayList<>();
        scanPrefix(meta, "vol/" + orgId + "/", (key, value) -> result.add(volume(json(value))));
        return result;
    }

    @Override
    public Optional<VolumeRecord> findVolume(String orgId, VolumeName name) {
        checkOpen();
        return readJson(meta, volumeKey(orgId, name)).map(RocksDbManifestStore::volume);
    }

    @Override
    public Optional<VolumeRecord> createVolume(String orgId, VolumeName name, ChunkLayout layout, Instant now) {
        checkOpen();
        synchronized (createLock) {
            if (findVolume(orgId, name).isPresent()) {
                return Optional.empty();
            }
            VolumeRecord volume = new VolumeRecord(randomId(), orgId, name, 0, "", now, layout, 0);
            put(meta, volumeKey(orgId, name), volumeNode(volume), synced);
            return Optional.of(volume);
        }
    }

    @Override
    public void deleteVolume(VolumeRecord volume) {
        checkOpen();
        byte[] id = ascii(volume.id());
        try (WriteBatch batch = new WriteBatch()) {
            batch.delete(meta, utf8(volumeKey(volume.orgId(), volume.name())));
            batch.deleteRange(versions, id, successor(id));
            batch.deleteRange(changes, id, successor(id));
            for (String prefix : List.of("commit/" + volume.id() + "/", "idem/" + volume.id() + "/",
                    "ref/" + volume.orgId() + "/" + volume.id() + "/")) {
                byte[] start = utf8(prefix);
                batch.deleteRange(meta, start, successor(start));
            }
            db.write(synced, batch);
        } catch (RocksDBException e) {
            throw failure("delete volume '" + volume.name() + "'", e);
        }
    }

    // ---- reads ------------------------------------------------------------------------------

    @Override
    public Optional<Versioned> find(VolumeRecord volume, VolumePath path, long atSeq) {
        checkOpen();
        byte[] prefix = pathPrefix(volume.id(), path);
        try (Scan scan = scan(versions, prefix)) {
            RocksIterator it = scan.iterator;
            it.seek(concat(prefix, inverted(atSeq)));
            if (it.isValid()) {
                long seq = seqOf(it.key());
                return Optional.of(new Versioned(path, WireCodec.entry(json(it.value())), seq));
            }
        }
        return path.isRoot() ? Optional.of(EMPTY_ROOT) : Optional.empty();
    }

    @Override
    public List<Versioned> list(VolumeRecord volume, VolumePath directory, long atSeq, String after, int limit) {
        checkOpen();
        byte[] dirPrefix = concat(ascii(volume.id()), utf8("/" + directory.value()), new byte[] {0});
        List<Versioned> result = new ArrayList<>();
        byte[] inverted = inverted(atSeq);
        try (Scan scan = scan(versions, dirPrefix)) {
            RocksIterator it = scan.iterator;
            it.seek(after == null ? dirPrefix : concat(dirPrefix, utf8(after), new byte[] {1}));
            while (it.isValid() && result.size() < limit) {
                byte[] key = it.key();
                int nameEnd = indexOf(key, (byte) 0, dirPrefix.length);
                byte[] namePrefix = Arrays.copyOf(key, nameEnd + 1);
                it.seek(concat(namePrefix, inverted));
                if (it.isValid() && startsWith(it.key(), namePrefix)) {
                    Entry entry = WireCodec.entry(json(it.value()));
                    if (entry.exists()) {
                        String name = new String(key, dirPrefix.length, nameEnd - dirPrefix.length, StandardCharsets.UTF_8);
                        result.add(new Versioned(directory.child(name), entry, seqOf(it.key())));
                    }
                }
                namePrefix[namePrefix.length - 1] = 1;
                it.seek(namePrefix);
            }
            it.status();
        } catch (RocksDBException e) {
            throw failure("list '" + directory + "' of volume '" + volume.name() + "'", e);
        }
        return result;
    }

    @Override
    public SortedSet<VolumePath> changedPaths(VolumeRecord volume, long fromSeq, long toSeq) {
        checkOpen();
        TreeSet<VolumePath> paths = new TreeSet<>();
        byte[] id = ascii(volume.id());
        byte[] start = concat(id, bigEndian(fromSeq + 1));
        try (Scan scan = new Scan(db, changes, start, concat(id, bigEndian(toSeq + 1)))) {
            RocksIterator it = scan.iterator;
            for (it.seek(start); it.isValid(); it.next()) {
                byte[] key = it.key();
                paths.add(VolumePath.of(new String(key, id.length + 8, key.length - id.length - 8, StandardCharsets.UTF_8)));
            }
        }
        return paths;
    }

    @Override
    public List<CommitRecord> commits(VolumeRecord volume, long beforeSeq, int limit) {
        checkOpen();
        List<CommitRecord> result = new ArrayList<>();
        String prefix = "commit/" + volume.id() + "/";
        try (Scan scan = scan(meta, utf8(prefix))) {
            RocksIterator it = scan.iterator;
            it.seekForPrev(utf8(prefix + seqHex(Math.max(0, beforeSeq - 1))));
            for (; it.isValid() && result.size() < limit; it.prev()) {
                CommitRecord record = commitRecord(json(it.value()));
                if (record.seq() < beforeSeq) {
                    result.add(record);
                }
            }
        }
        return result;
    }

    @Override
    public HeadView head(VolumeRecord volume) {
        checkOpen();
        return new RocksHeadView(volume);
    }

    /**
     * The head for one merge. A merge asks for each changed path and for every ancestor of each, so
     * the same directories come up again and again: every answer is remembered (the head cannot move
     * while the caller holds the commit lock), and the lookups share one iterator, because opening a
     * RocksDB iterator costs more than the seek itself.
     */
    private final class RocksHeadView implements HeadView {
        private final VolumeRecord volume;
        private final long head;
        private final byte[] invertedHead;
        private final Map<VolumePath, Optional<Versioned>> found = new HashMap<>();
        private Scan scan;
        private boolean viewClosed;

        RocksHeadView(VolumeRecord volume) {
            this.volume = volume;
            this.head = volume.headSeq();
            this.invertedHead = inverted(head);
        }

        @Override
        public Optional<Versioned> find(VolumePath path) {
            Optional<Versioned> known = found.get(path);
            if (known == null) {
                known = read(path);
                found.put(path, known);
            }
            return known;
        }

        private Optional<Versioned> read(VolumePath path) {
            checkOpen();
            if (viewClosed) {
                throw new IllegalStateException("The head view of volume '" + volume.name() + "' is closed");
            }
            if (scan == null) {
                scan = scan(versions, ascii(volume.id()));
            }
            RocksIterator iterator = scan.iterator;
            byte[] prefix = pathPrefix(volume.id(), path);
            iterator.seek(concat(prefix, invertedHead));
            if (iterator.isValid()) {
                byte[] key = iterator.key();
                if (startsWith(key, prefix)) {
                    return Optional.of(new Versioned(path, WireCodec.entry(json(iterator.value())), seqOf(key)));
                }
            } else {
                try {
                    iterator.status();
                } catch (RocksDBException e) {
                    throw failure("read '" + path + "' of volume '" + volume.name() + "'", e);
                }
            }
            return path.isRoot() ? Optional.of(EMPTY_ROOT) : Optional.empty();
        }

        @Override
        public void forEachDescendant(VolumePath directory, Consumer<Versioned> action) {
            Deque<VolumePath> pending = new ArrayDeque<>();
            pending.add(directory);
            while (!pending.isEmpty()) {
                VolumePath dir = pending.poll();
                String after = null;
                while (true) {
                    List<Versioned> page = list(volume, dir, head, after, 1024);
                    for (Versioned child : page) {
                        action.accept(child);
                        if (child.entry() instanceof Entry.Directory) {
                            pending.add(child.path());
                        }
                    }
                    if (page.size() < 1024) {
                        break;
                    }
                    after = page.getLast().path().name();
                }
            }
        }

        @Override
        public void close() {
            viewClosed = true;
            if (scan != null) {
                scan.close();
                scan = null;
            }
        }
    }

    // ---- commits ----------------------------------------------------------------------------

    @Override
    public Optional<IdempotencyRecord> findIdempotency(VolumeRecord volume, String idempotencyKey) {
        checkOpen();
        return readJson(meta, "idem/" + volume.id() + "/" + idempotencyKey).map(node ->
                new IdempotencyRecord(node.path("hash").asText(), outcome(node.path("outcome"))));
    }

    @Override
    public void commit(CommitWrite write) {
        checkOpen();
        VolumeRecord volume = write.volume();
        long seq = volume.headSeq();
        byte[] id = ascii(volume.id());
        try (WriteBatch batch = new WriteBatch()) {
            for (Change change : write.writes()) {
                batch.put(versions, concat(pathPrefix(volume.id(), change.path()), inverted(seq)),
                        WireCodec.bytes(WireCodec.entryNode(change.entry())));
                batch.put(changes, concat(id, bigEndian(seq), utf8(change.path().value())), new byte[0]);
            }
            for (ChunkId chunk : write.referenced()) {
                batch.put(meta, utf8("ref/" + volume.orgId() + "/" + volume.id() + "/" + chunk), new byte[0]);
            }
            for (ChunkRecord chunk : write.verified()) {
                batch.put(meta, utf8(chunkKey(volume.orgId(), chunk.id())), WireCodec.bytes(chunkNode(chunk)));
            }
            batch.put(meta, utf8("commit/" + volume.id() + "/" + seqHex(seq)), WireCodec.bytes(commitNode(write.record())));
            ObjectNode idem = NODES.objectNode();
            idem.put("hash", write.requestHash());
            idem.set("outcome", outcomeNode(write.outcome()));
            batch.put(meta, utf8("idem/" + volume.id() + "/" + write.idempotencyKey()), WireCodec.bytes(idem));
            batch.put(meta, utf8(volumeKey(volume.orgId(), volume.name())), WireCodec.bytes(volumeNode(volume)));
            db.write(synced, batch);
        } catch (RocksDBException e) {
            throw failure("store commit " + seq + " of volume '" + volume.name() + "'", e);
        }
    }

    @Override
    public PruneResult prune(VolumeRecord volume, long floor) {
        checkOpen();
        if (floor <= volume.floorSeq()) {
            return new PruneResult(volume, 0);
        }
        byte[] id = ascii(volume.id());
        Set<ChunkId> kept = new HashSet<>();
        long dropped = 0;
        try (WriteBatch batch = new WriteBatch(); Scan scan = scan(versions, id)) {
            RocksIterator it = scan.iterator;
            byte[] group = null;
            boolean keptAtFloor = false;
            for (it.seek(id); it.isValid(); it.next()) {
                byte[] key = it.key();
                byte[] pathPrefix = Arrays.copyOf(key, key.length - 8);
                if (group == null || !Arrays.equals(group, pathPrefix)) {
                    group = pathPrefix;
                    keptAtFloor = false;
                }
                long seq = seqOf(key);
                Entry entry = WireCodec.entry(json(it.value()));
                boolean keep;
                if (seq > floor) {
                    keep = true;
                } else if (!keptAtFloor) {
                    // The state at the floor: kept, unless it is a delete marker (absence says the same).
                    keptAtFloor = true;
                    keep = entry.exists();
                } else {
                    keep = false;
                }
                if (keep) {
                    if (entry instanceof Entry.File file) {
                        kept.addAll(file.chunks());
                    }
                } else {
                    batch.delete(versions, key);
                    dropped++;
                }
            }
            byte[] refs = utf8("ref/" + volume.orgId() + "/" + volume.id() + "/");
            batch.deleteRange(meta, refs, successor(refs));
            for (ChunkId chunk : kept) {
                batch.put(meta, concat(refs, utf8(chunk.toString())), new byte[0]);
            }
            batch.deleteRange(changes, id, concat(id, bigEndian(floor + 1)));
            VolumeRecord pruned = volume.withFloor(floor);
            batch.put(meta, utf8(volumeKey(volume.orgId(), volume.name())), WireCodec.bytes(volumeNode(pruned)));
            db.write(synced, batch);
            return new PruneResult(pruned, dropped);
        } catch (RocksDBException e) {
            throw failure("prune volume '" + volume.name() + "' below " + floor, e);
        }
    }

    // ---- chunks -----------------------------------------------------------------------------

    @Override
    public Optional<ChunkRecord> findChunk(String orgId, ChunkId id) {
        checkOpen();
        return readJson(meta, chunkKey(orgId, id)).map(node -> chunkRecord(id, node));
    }

    @Override
    public void putChunks(String orgId, Collection<ChunkRecord> chunks) {
        checkOpen();
        try (WriteBatch batch = new WriteBatch()) {
            for (ChunkRecord chunk : chunks) {
                batch.put(meta, utf8(chunkKey(orgId, chunk.id())), WireCodec.bytes(chunkNode(chunk)));
            }
            db.write(unsynced, batch);
        } catch (RocksDBException e) {
            throw failure("register chunks of org " + orgId, e);
        }
    }

    @Override
    public void markIssued(String orgId, Collection<ChunkId> chunks, Instant now) {
        checkOpen();
        byte[] time = bigEndian(now.toEpochMilli());
        try (WriteBatch batch = new WriteBatch()) {
            for (ChunkId chunk : chunks) {
                batch.put(meta, utf8("issued/" + orgId + "/" + chunk), time);
            }
            db.write(unsynced, batch);
        } catch (RocksDBException e) {
            throw failure("remember issued uploads of org " + orgId, e);
        }
    }

    @Override
    public boolean wasIssued(String orgId, ChunkId id) {
        checkOpen();
        try {
            return db.get(meta, utf8("issued/" + orgId + "/" + id)) != null;
        } catch (RocksDBException e) {
            throw failure("read issued uploads of org " + orgId, e);
        }
    }

    @Override
    public long forgetIssuedBefore(Instant cutoff) {
        checkOpen();
        long[] forgotten = {0};
        try (WriteBatch batch = new WriteBatch()) {
            scanPrefix(meta, "issued/", (key, value) -> {
                if (ByteBuffer.wrap(value).getLong() < cutoff.toEpochMilli()) {
                    try {
                        batch.delete(meta, key);
                        forgotten[0]++;
                    } catch (RocksDBException e) {
                        throw failure("forget issued uploads", e);
                    }
                }
            });
            db.write(unsynced, batch);
        } catch (RocksDBException e) {
            throw failure("forget issued uploads", e);
        }
        return forgotten[0];
    }

    @Override
    public synchronized List<ChunkRecord> putChunksIfAbsent(String orgId, Collection<ChunkRecord> chunks) {
        // Synchronized: two packs holding one chunk must not both register it, one over the other.
        checkOpen();
        List<ChunkRecord> added = new ArrayList<>();
        try (WriteBatch batch = new WriteBatch()) {
            for (ChunkRecord chunk : chunks) {
                byte[] key = utf8(chunkKey(orgId, chunk.id()));
                if (db.get(meta, key) == null) {
                    batch.put(meta, key, WireCodec.bytes(chunkNode(chunk)));
                    added.add(chunk);
                }
            }
            db.write(unsynced, batch);
        } catch (RocksDBException e) {
            throw failure("register chunks of org " + orgId, e);
        }
        return added;
    }

    @Override
    public void putPack(String orgId, PackRecord pack) {
        checkOpen();
        ObjectNode node = NODES.objectNode();
        node.put("size", pack.size());
        node.put("createdAt", pack.createdAt().toEpochMilli());
        ArrayNode members = node.putArray("chunks");
        for (PackRecord.Member member : pack.chunks()) {
            members.addObject().put("id", member.id().toString()).put("offset", member.offset()).put("size", member.size());
        }
        try {
            db.put(meta, unsynced, utf8(packKey(orgId, pack.id())), WireCodec.bytes(node));
        } catch (RocksDBException e) {
            throw failure("remember pack " + pack.id().abbreviated() + " of org " + orgId, e);
        }
    }

    @Override
    public Optional<PackRecord> findPack(String orgId, PackId id) {
        checkOpen();
        return readJson(meta, packKey(orgId, id)).map(node -> {
            List<PackRecord.Member> members = new ArrayList<>();
            for (JsonNode member : node.path("chunks")) {
                members.add(new PackRecord.Member(ChunkId.ofHex(member.path("id").asText()), member.path("offset").asLong(),
                        member.path("size").asLong()));
            }
            return new PackRecord(id, node.path("size").asLong(), members, Instant.ofEpochMilli(node.path("createdAt").asLong()));
        });
    }

    @Override
    public synchronized void removePack(String orgId, PackRecord pack) {
        checkOpen();
        try (WriteBatch batch = new WriteBatch()) {
            for (PackRecord.Member member : pack.chunks()) {
                Optional<ChunkRecord> registered = findChunk(orgId, member.id());
                if (registered.isPresent() && registered.get().slice().map(s -> s.pack().equals(pack.id())).orElse(false)) {
                    batch.delete(meta, utf8(chunkKey(orgId, member.id())));
                }
            }
            batch.delete(meta, utf8(packKey(orgId, pack.id())));
            db.write(synced, batch);
        } catch (RocksDBException e) {
            throw failure("forget pack " + pack.id().abbreviated() + " of org " + orgId, e);
        }
    }

    @Override
    public void removeChunk(String orgId, ChunkId id) {
        checkOpen();
        try {
            db.delete(meta, synced, utf8(chunkKey(orgId, id)));
        } catch (RocksDBException e) {
            throw failure("forget chunk " + id.abbreviated(), e);
        }
    }

    @Override
    public boolean isReferenced(VolumeRecord volume, ChunkId id) {
        checkOpen();
        try {
            return db.get(meta, utf8("ref/" + volume.orgId() + "/" + volume.id() + "/" + id)) != null;
        } catch (RocksDBException e) {
            throw failure("read references of volume '" + volume.name() + "'", e);
        }
    }

    @Override
    public void forEachReferencedChunk(String orgId, Consumer<ChunkId> action) {
        checkOpen();
        scanPrefix(meta, "ref/" + orgId + "/", (key, value) -> {
            String text = new String(key, StandardCharsets.UTF_8);
            action.accept(ChunkId.ofHex(text.substring(text.lastIndexOf('/') + 1)));
        });
    }

    /** The database, for tests in this package that read RocksDB's per-thread perf counters. */
    RocksDB database() {
        return db;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        synced.close();
        unsynced.close();
        meta.close();
        versions.close();
        changes.close();
        db.close();
        dbOptions.close();
        cfOptions.close();
    }

    @Override
    public String toString() {
        return "RocksDbManifestStore[" + directory + "]";
    }

    // ---- keys -------------------------------------------------------------------------------

    private static String volumeKey(String orgId, VolumeName name) {
        return "vol/" + orgId + "/" + name.value();
    }

    private static String chunkKey(String orgId, ChunkId id) {
        return "chunk/" + orgId + "/" + id;
    }

    private static String packKey(String orgId, PackId id) {
        return "pack/" + orgId + "/" + id;
    }

    /** {@code volumeId | dir | 0 | name | 0}: every version of one path shares it. */
    private static byte[] pathPrefix(String volumeId, VolumePath path) {
        String dir = path.isRoot() ? "" : "/" + path.loadParent().value();
        return concat(ascii(volumeId), utf8(dir), new byte[] {0}, utf8(path.name()), new byte[] {0});
    }

    private static byte[] inverted(long seq) {
        return bigEndian(Long.MAX_VALUE - seq);
    }

    private static long seqOf(byte[] versionKey) {
        return Long.MAX_VALUE - ByteBuffer.wrap(versionKey, versionKey.length - 8, 8).getLong();
    }

    private static byte[] bigEndian(long value) {
        return ByteBuffer.allocate(8).putLong(value).array();
    }

    private static String seqHex(long seq) {
        return String.format("%016x", seq);
    }

    /** The smallest key greater than every key that starts with {@code prefix}. */
    private static byte[] successor(byte[] prefix) {
        byte[] next = prefix.clone();
        for (int i = next.length - 1; i >= 0; i--) {
            if (next[i] != (byte) 0xff) {
                next[i]++;
                return Arrays.copyOf(next, i + 1);
            }
        }
        throw new IllegalArgumentException("No successor of an all-0xff key");
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] result = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, result, at, part.length);
            at += part.length;
        }
        return result;
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static int indexOf(byte[] key, byte b, int from) {
        for (int i = from; i < key.length; i++) {
            if (key[i] == b) {
                return i;
            }
        }
        throw new IllegalStateException("Corrupt version key: no terminator after byte " + from);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private String randomId() {
        byte[] bytes = new byte[8];
        random.nextBytes(bytes);
        return HEX.formatHex(bytes);
    }

    // ---- records as JSON --------------------------------------------------------------------

    private static Org org(JsonNode node) {
        return new Org(node.path("id").asText(), node.path("name").asText(), Instant.ofEpochMilli(node.path("createdAt").asLong()));
    }

    private static ObjectNode volumeNode(VolumeRecord v) {
        ObjectNode node = NODES.objectNode();
        node.put("id", v.id());
        node.put("orgId", v.orgId());
        node.put("name", v.name().value());
        node.put("headSeq", v.headSeq());
        node.put("headCommit", v.headCommit());
        node.put("createdAt", v.createdAt().toEpochMilli());
        node.put("smallChunk", v.layout().smallChunk());
        node.put("largeFrom", v.layout().largeFrom());
        node.put("largeChunk", v.layout().largeChunk());
        node.put("floorSeq", v.floorSeq());
        return node;
    }

    private static VolumeRecord volume(JsonNode node) {
        return new VolumeRecord(node.path("id").asText(), node.path("orgId").asText(), VolumeName.of(node.path("name").asText()),
                node.path("headSeq").asLong(), node.path("headCommit").asText(), Instant.ofEpochMilli(node.path("createdAt").asLong()),
                new ChunkLayout(node.path("smallChunk").asInt(), node.path("largeFrom").asLong(), node.path("largeChunk").asInt()),
                node.path("floorSeq").asLong(0));
    }

    private static ObjectNode commitNode(CommitRecord r) {
        ObjectNode node = NODES.objectNode();
        node.put("commit", r.commit());
        node.put("seq", r.seq());
        node.put("time", r.time().toEpochMilli());
        node.put("mountId", r.mountId());
        node.put("changes", r.changes());
        ArrayNode overwritten = node.putArray("overwritten");
        r.overwritten().forEach(p -> overwritten.add(p.value()));
        return node;
    }

    private static CommitRecord commitRecord(JsonNode node) {
        List<VolumePath> overwritten = new ArrayList<>();
        node.path("overwritten").forEach(p -> overwritten.add(VolumePath.of(p.asText())));
        return new CommitRecord(node.path("commit").asText(), node.path("seq").asLong(),
                Instant.ofEpochMilli(node.path("time").asLong()), node.path("mountId").asText(), node.path("changes").asInt(), overwritten);
    }

    private static ObjectNode outcomeNode(CommitOutcome o) {
        ObjectNode node = NODES.objectNode();
        node.put("commit", o.commit());
        node.put("seq", o.seq());
        node.put("applied", o.applied());
        ArrayNode overwritten = node.putArray("overwritten");
        o.overwritten().forEach(p -> overwritten.add(p.value()));
        return node;
    }

    private static CommitOutcome outcome(JsonNode node) {
        List<VolumePath> overwritten = new ArrayList<>();
        node.path("overwritten").forEach(p -> overwritten.add(VolumePath.of(p.asText())));
        return new CommitOutcome(node.path("commit").asText(), node.path("seq").asLong(), overwritten, node.path("applied").asInt());
    }

    private static ObjectNode chunkNode(ChunkRecord chunk) {
        ObjectNode node = NODES.objectNode();
        node.put("size", chunk.size());
        node.put("claimedAt", chunk.claimedAt().toEpochMilli());
        chunk.slice().ifPresent(slice -> node.put("pack", slice.pack().toString()).put("offset", slice.offset()));
        return node;
    }

    private static ChunkRecord chunkRecord(ChunkId id, JsonNode node) {
        Optional<ChunkRecord.Slice> slice = node.has("pack")
                ? Optional.of(new ChunkRecord.Slice(PackId.ofHex(node.path("pack").asText()), node.path("offset").asLong()))
                : Optional.empty();
        return new ChunkRecord(id, node.path("size").asLong(), Instant.ofEpochMilli(node.path("claimedAt").asLong()), slice);
    }

    // ---- plumbing ---------------------------------------------------------------------------

    /**
     * An iterator confined to one key range, with what it needs kept open until it closes. The bounds
     * matter for speed, not only for correctness: an unbounded seek that finds nothing live in its
     * range walks on over every deleted key after it, and a deleted volume leaves up to millions of
     * them. Measured: 10,000 new paths in a volume whose id sorted just before a deleted volume of
     * 10^5 paths took 37 s to commit, 0.15 s with the bounds.
     */
    private static final class Scan implements AutoCloseable {
        final RocksIterator iterator;
        private final ReadOptions options;
        private final Slice lower;
        private final Slice upper;

        /** The keys from {@code from} (inclusive) to {@code to} (exclusive). */
        Scan(RocksDB db, ColumnFamilyHandle family, byte[] from, byte[] to) {
            lower = new Slice(from);
            upper = new Slice(to);
            options = new ReadOptions().setIterateLowerBound(lower).setIterateUpperBound(upper);
            iterator = db.newIterator(family, options);
        }

        @Override
        public void close() {
            iterator.close();
            options.close();
            lower.close();
            upper.close();
        }
    }

    /** The keys that start with {@code prefix}. */
    private Scan scan(ColumnFamilyHandle family, byte[] prefix) {
        return new Scan(db, family, prefix, successor(prefix));
    }

    private interface KeyValueAction {
        void accept(byte[] key, byte[] value);
    }

    private void scanPrefix(ColumnFamilyHandle family, String prefix, KeyValueAction action) {
        byte[] start = utf8(prefix);
        try (Scan scan = scan(family, start)) {
            RocksIterator it = scan.iterator;
            for (it.seek(start); it.isValid(); it.next()) {
                action.accept(it.key(), it.value());
            }
        }
    }

    private Optional<JsonNode> readJson(ColumnFamilyHandle family, String key) {
        try {
            byte[] value = db.get(family, utf8(key));
            return value == null ? Optional.empty() : Optional.of(json(value));
        } catch (RocksDBException e) {
            throw failure("read " + key, e);
        }
    }

    private void put(ColumnFamilyHandle family, String key, JsonNode value, WriteOptions options) {
        try {
            db.put(family, options, utf8(key), WireCodec.bytes(value));
        } catch (RocksDBException e) {
            throw failure("write " + key, e);
        }
    }

    private static JsonNode json(byte[] value) {
        return WireCodec.parse(value);
    }

    private void checkOpen() {
        if (closed) {
            throw new ServiceException(503, "unavailable", "The manifest store in " + directory + " is closed");
        }
    }

    private ServiceException failure(String what, RocksDBException e) {
        return ServiceException.internal("Manifest store " + directory + " cannot " + what + ": " + e.getMessage(), e);
    }
}
