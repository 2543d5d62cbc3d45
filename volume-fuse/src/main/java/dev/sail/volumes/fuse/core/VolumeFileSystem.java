package dev.sail.volumes.fuse.core;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.client.ChunkTransfer;
import dev.sail.volumes.client.Tasks;
import dev.sail.volumes.client.VolumeInfo;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.fuse.VolumeFuseException;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.ManifestException;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The binding-neutral file system of one mounted volume: path-based operations that either do
 * their work or throw {@link FsError} with the errno to answer. FUSE adapters call it through
 * {@link FuseCalls}, which turns every outcome into {@code 0}/a count or {@code -errno}.
 *
 * <p>What a path holds is the overlay's entry (this mount's uncommitted changes) if there is one,
 * else the remote state at the base commit ({@link RemoteTree}, listed lazily). File bytes are
 * chunks: clean ones come from the {@link ChunkCache} (fetched and verified on first read), dirty
 * ones from {@link DirtyChunks}. Every overlay change is written to the {@link LocalStore} before
 * the operation returns, so a killed daemon loses no uncommitted byte.
 *
 * <p>Thread-safe. Namespace operations take the namespace lock (shared for lookups, exclusive for
 * changes); reads and writes through a handle take only their file's monitor, so a slow download
 * never blocks the namespace.
 */
public final class VolumeFileSystem implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeFileSystem.class);
    static final String KEY_BASE_SEQ = "meta/baseSeq";
    static final String KEY_BASE_COMMIT = "meta/baseCommit";
    static final String KEY_MOUNT_ID = "meta/mountId";
    static final String KEY_VOLUME = "meta/volume";
    static final String OVERLAY_PREFIX = "o/";

    /** O_ACCMODE and friends, Linux values. */
    static final int O_ACCMODE = 03;
    static final int O_RDONLY = 0;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_TRUNC = 01000;
    /** renameat2 flags. */
    static final int RENAME_NOREPLACE = 1;


    final VolumeName volume;
    final ChunkLayout layout;
    final VolumeService service;
    final ChunkTransfer transfer;
    final LocalStore store;
    final Path stateDir;
    final RemoteTree remote;
    final ChunkCache cache;
    final DirtyChunks dirty;
    final Settings settings;
    final DownloadUrls downloadUrls;
    final String mountId;
    /** The root as the service has it: a directory that always exists, dated when the volume was created. */
    private final Entry.Directory remoteRoot;
    volatile String baseCommit;

    final ReentrantReadWriteLock ns = new ReentrantReadWriteLock();
    /** This mount's changes since the base, by path (component order: a subtree is contiguous). */
    final ConcurrentSkipListMap<VolumePath, Local> overlay = new ConcurrentSkipListMap<>();
    /** The names in the overlay under each directory, so a listing need not scan the overlay. */
    final ConcurrentHashMap<VolumePath, Set<String>> overlayChildren = new ConcurrentHashMap<>();
    /** Nodes of unchanged published files that are open, so every handle on a path shares one node. */
    final ConcurrentHashMap<VolumePath, FileNode> openClean = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Handle> handles = new ConcurrentHashMap<>();
    private volatile KernelCache kernelCache = KernelCache.NONE;
    private final AtomicLong nextHandle = new AtomicLong(1);
    /** Forces a file's chunk files at once for fsync. */
    private final ExecutorService syncPool = Executors.newFixedThreadPool(8,
            Thread.ofPlatform().daemon().name("fsync-", 0).factory());
    /** Hashes closed files' dirty chunks ahead of a commit: one thread, below the FUSE threads' priority. */
    private final ExecutorService hasher = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().priority(Thread.MIN_PRIORITY).name("hash-ahead").factory());
    private volatile boolean closed;

    /**
     * How a mount behaves.
     *
     * @param cacheBytes      the most bytes the chunk cache keeps (dirty data does not count)
     * @param readAheadBytes  how far ahead a sequential reader's chunks are fetched, at most (0: no read-ahead);
     *                        the window starts at one chunk and doubles as the reader keeps going
     * @param prefetchThreads how many read-ahead downloads run at once
     * @param uid             the owner every file reports (the daemon's user)
     * @param gid             the group every file reports
     */
    public record Settings(long cacheBytes, long readAheadBytes, int prefetchThreads, int uid, int gid) {
        /**
         * Read-ahead by default: 16 chunks of 8 MiB. Twice what is downloaded at once, so that the next
         * downloads are queued behind the running ones and the link never waits for the reader to move on.
         */
        public static final long DEFAULT_READ_AHEAD = 128L << 20;
        /** Read-ahead downloads at once by default (the transfer engine bounds downloads too). */
        public static final int DEFAULT_PREFETCH_THREADS = 8;

        public Settings {
            if (cacheBytes <= 0 || readAheadBytes < 0 || prefetchThreads <= 0) {
                throw new IllegalArgumentException("Invalid mount settings: cache " + cacheBytes + " bytes, read-ahead "
                        + readAheadBytes + " bytes on " + prefetchThreads + " threads");
            }
        }

        public static Settings defaults() {
            return new Settings(10L << 30, DEFAULT_READ_AHEAD, DEFAULT_PREFETCH_THREADS, 0, 0);
        }
    }

    /**
     * How far from the last read's end a read may start and still count as sequential: the kernel
     * splits a large read into requests that reach the daemon concurrently, a little out of order.
     */
    private static final long SEQUENTIAL_SLACK = 4L << 20;
    /** Chunks past the read-ahead whose download URLs a sequential reader asks for in the same request. */
    private static final int URLS_AHEAD = 32;

    /** One open file: its node, and the state of its reader's read-ahead. */
    private static final class Handle {
        final FileNode node;
        final int flags;
        volatile long lastReadEnd = -1;
        /** Chunks the read-ahead covers now; grows while the reader stays sequential. */
        volatile int window = 2;
        /** The chunk the last read ended in, to grow the window once per chunk crossed. */
        volatile int lastChunk = -1;

        Handle(FileNode node, int flags) {
            this.node = node;
            this.flags = flags;
        }
    }

    /** What a path resolves to: its overlay entry and/or the base's entry visible there. */
    record Resolved(Local local, Entry remote, boolean remoteBelow) {
        boolean isDirectory() {
            return local != null ? local instanceof Local.Dir : remote instanceof Entry.Directory;
        }
    }

    /** File-system figures for {@code statfs}. */
    public record StatFs(long blockSize, long blocks, long freeBlocks, long availableBlocks, long nameMax) {
    }

    /** Where the local state says the mount is: its base and its own id. */
    public record Base(long seq, String commit) {
    }

    private VolumeFileSystem(VolumeService service, ChunkTransfer transfer, VolumeInfo info, LocalStore store,
                             Path stateDir, Settings settings) throws IOException {
        this.volume = info.name();
        this.layout = info.chunkLayout();
        this.service = service;
        this.transfer = transfer;
        this.store = store;
        this.stateDir = stateDir;
        this.settings = settings;
        long created = info.createdAt() == null ? 0 : info.createdAt().getEpochSecond() * 1_000_000_000L + info.createdAt().getNano();
        this.remoteRoot = new Entry.Directory(0755, created);

        SortedMap<String, byte[]> saved = store.loadAll();
        String savedVolume = text(saved.get(KEY_VOLUME));
        if (savedVolume != null && !savedVolume.equals(volume.value())) {
            throw new VolumeFuseException("The state dir " + stateDir + " belongs to volume '" + savedVolume
                    + "', not '" + volume + "': use another --state-dir");
        }
        Map<String, byte[]> puts = new HashMap<>();
        String savedMountId = text(saved.get(KEY_MOUNT_ID));
        this.mountId = savedMountId != null ? savedMountId : UUID.randomUUID().toString();
        long baseSeq;
        if (saved.containsKey(KEY_BASE_SEQ)) {
            baseSeq = Long.parseLong(text(saved.get(KEY_BASE_SEQ)));
            this.baseCommit = Objects.requireNonNullElse(text(saved.get(KEY_BASE_COMMIT)), "");
        } else {
            baseSeq = info.headSeq();
            this.baseCommit = Objects.requireNonNullElse(info.headCommit(), "");
            puts.put(KEY_BASE_SEQ, bytes(Long.toString(baseSeq)));
            puts.put(KEY_BASE_COMMIT, bytes(baseCommit));
        }
        puts.put(KEY_VOLUME, bytes(volume.value()));
        puts.put(KEY_MOUNT_ID, bytes(mountId));
        store.write(puts, List.of());

        this.downloadUrls = new DownloadUrls(service, volume);
        this.remote = new RemoteTree(service, volume, baseSeq, downloadUrls::hint);
        this.dirty = new DirtyChunks(stateDir.resolve("dirty"));
        this.cache = new ChunkCache(volume.value(), stateDir.resolve("cache"), settings.cacheBytes(), settings.prefetchThreads(),
                new ChunkCache.Fetcher() {
                    @Override
                    public ByteBuffer fetch(ChunkId id) throws IOException {
                        return transfer.download(downloadUrl(id));
                    }

                    @Override
                    public long fetchTo(ChunkId id, Path target) throws IOException {
                        return transfer.downloadTo(downloadUrl(id), target);
                    }
                }, dirty::isRelocationTarget);

        Set<Long> referenced = new HashSet<>();
        saved.forEach((key, value) -> {
            if (key.startsWith(OVERLAY_PREFIX)) {
                VolumePath path = VolumePath.of(key.substring(OVERLAY_PREFIX.length()));
                Local local = OverlayCodec.decode(path, value);
                overlay.put(path, local);
                path.parent().ifPresent(parent -> overlayChildren
                        .computeIfAbsent(parent, k -> new ConcurrentSkipListSet<>()).add(path.name()));
                if (local instanceof Local.FileRef f) {
                    for (ChunkRef ref : f.node().chunks) {
                        if (ref instanceof ChunkRef.Dirty d) {
                            referenced.add(d.id());
                            dirty.reserveAbove(d.id());
                        }
                    }
                }
            }
        });
        // A daemon killed between writing a chunk file and recording it leaves an orphan: nothing refers to it.
        for (long id : dirty.existingIds()) {
            if (!referenced.contains(id)) {
                dirty.delete(id);
            }
        }
    }

    /**
     * Opens the file system of {@code info}'s volume over the state in {@code store} and {@code stateDir}.
     * A fresh state starts at the volume's head; an existing one resumes at its base with its overlay.
     */
    public static VolumeFileSystem open(VolumeService service, ChunkTransfer transfer, VolumeInfo info, LocalStore store,
                                        Path stateDir, Settings settings) throws IOException {
        return new VolumeFileSystem(service, transfer, info, store, stateDir, settings);
    }

    public VolumeName volume() {
        return volume;
    }

    public ChunkLayout layout() {
        return layout;
    }

    public Base base() {
        return new Base(remote.baseSeq(), baseCommit);
    }

    public String mountId() {
        return mountId;
    }

    public ChunkCache cache() {
        return cache;
    }

    /** Lets the binding's kernel cache be told of changes that do not come through the mount. */
    public void attachKernelCache(KernelCache kernelCache) {
        this.kernelCache = kernelCache;
    }

    KernelCache kernelCache() {
        return kernelCache;
    }

    // ---- namespace lookups -------------------------------------------------------------------

    /** Parses a path as FUSE hands it over, answering ENAMETOOLONG/EINVAL for paths no volume can hold. */
    static VolumePath parse(String mountPath) {
        if (mountPath == null || !mountPath.startsWith("/")) {
            throw new FsError(Errno.EINVAL, "Not an absolute path: " + mountPath);
        }
        if (mountPath.getBytes(StandardCharsets.UTF_8).length > VolumePath.MAX_PATH_BYTES) {
            throw new FsError(Errno.ENAMETOOLONG, "Path over " + VolumePath.MAX_PATH_BYTES + " bytes");
        }
        for (String component : mountPath.split("/")) {
            if (component.getBytes(StandardCharsets.UTF_8).length > VolumePath.MAX_NAME_BYTES) {
                throw new FsError(Errno.ENAMETOOLONG, "Name over " + VolumePath.MAX_NAME_BYTES + " bytes");
            }
        }
        try {
            return VolumePath.ofMountPath(mountPath);
        } catch (ManifestException e) {
            throw new FsError(Errno.EINVAL, e.getMessage());
        }
    }

    /** Resolves {@code path}, or null when nothing is there. Caller holds the namespace lock. */
    Resolved resolve(VolumePath path) {
        boolean remoteVisible = true;
        if (path.isRoot()) {
            Local root = overlay.get(VolumePath.ROOT);
            boolean below = !(root instanceof Local.Dir d && d.opaque());
            return new Resolved(root, remoteRoot, below);
        }
        Local rootLocal = overlay.get(VolumePath.ROOT);
        if (rootLocal instanceof Local.Dir d && d.opaque()) {
            remoteVisible = false;
        }
        for (VolumePath ancestor : path.ancestors()) {
            Local local = overlay.get(ancestor);
            if (local != null) {
                if (!(local instanceof Local.Dir dir)) {
                    return null;
                }
                if (dir.opaque()) {
                    remoteVisible = false;
                }
            } else {
                if (!remoteVisible) {
                    return null;
                }
                Optional<Versioned> entry = remote.child(ancestor.loadParent(), ancestor.name());
                if (entry.isEmpty() || !(entry.get().entry() instanceof Entry.Directory)) {
                    return null;
                }
            }
        }
        Local local = overlay.get(path);
        if (local instanceof Local.Whiteout) {
            return null;
        }
        Entry remoteEntry = remoteVisible
                ? remote.child(path.loadParent(), path.name()).map(Versioned::entry).orElse(null)
                : null;
        if (local == null && remoteEntry == null) {
            return null;
        }
        boolean below = remoteVisible && (local == null
                ? remoteEntry instanceof Entry.Directory
                : local instanceof Local.Dir dir && !dir.opaque());
        return new Resolved(local, remoteEntry, below);
    }

    private Resolved resolveExisting(VolumePath path) {
        Resolved resolved = resolve(path);
        if (resolved == null) {
            throw new FsError(Errno.ENOENT, "No such file: " + path);
        }
        return resolved;
    }

    private void requireDirectory(VolumePath dir) {
        Resolved resolved = resolve(dir);
        if (resolved == null) {
            throw new FsError(Errno.ENOENT, "No such directory: " + dir);
        }
        if (!resolved.isDirectory()) {
            throw new FsError(Errno.ENOTDIR, "Not a directory: " + dir);
        }
    }

    /** The names in directory {@code dir}, sorted. Caller holds the namespace lock. */
    TreeMap<String, Boolean> children(VolumePath dir, Resolved resolved) {
        TreeMap<String, Boolean> names = new TreeMap<>();
        if (resolved.remoteBelow()) {
            remote.children(dir).keySet().forEach(name -> names.put(name, Boolean.TRUE));
        }
        Set<String> local = overlayChildren.get(dir);
        if (local != null) {
            for (String name : local) {
                if (overlay.get(dir.child(name)) instanceof Local.Whiteout) {
                    names.remove(name);
                } else if (overlay.containsKey(dir.child(name))) {
                    names.put(name, Boolean.TRUE);
                }
            }
        }
        return names;
    }

    Attributes attributes(Resolved resolved) {
        if (resolved.local() != null) {
            return switch (resolved.local()) {
                case Local.FileRef f -> f.node().attributes();
                case Local.Dir d -> new Attributes(Attributes.Kind.DIRECTORY, d.mode(), 0, d.mtimeNanos());
                case Local.Link l -> new Attributes(Attributes.Kind.SYMLINK, 0777,
                        l.target().getBytes(StandardCharsets.UTF_8).length, l.mtimeNanos());
                case Local.Whiteout w -> throw new IllegalStateException("A whiteout never resolves");
            };
        }
        return attributes(resolved.remote());
    }

    /** The attributes of a base entry (one that exists). */
    private static Attributes attributes(Entry remote) {
        return switch (remote) {
            case Entry.File f -> new Attributes(Attributes.Kind.FILE, f.mode(), f.size(), f.mtimeNanos());
            case Entry.Directory d -> new Attributes(Attributes.Kind.DIRECTORY, d.mode(), 0, d.mtimeNanos());
            case Entry.Symlink s -> new Attributes(Attributes.Kind.SYMLINK, 0777,
                    s.target().getBytes(StandardCharsets.UTF_8).length, s.mtimeNanos());
            case Entry.Deleted d -> throw new IllegalStateException("A delete marker never resolves");
        };
    }

    // ---- operations: lookups -----------------------------------------------------------------

    public Attributes getattr(String path) {
        VolumePath p = parse(path);
        ns.readLock().lock();
        try {
            return attributes(resolveExisting(p));
        } finally {
            ns.readLock().unlock();
        }
    }

    /** Attributes of an open file (fstat): its node, even after it was unlinked or renamed. */
    public Attributes getattr(long fh) {
        return handle(fh).node.attributes();
    }

    /** The names in a directory, sorted ({@code .} and {@code ..} are the binding's). */
    public List<String> readdir(String path) {
        VolumePath p = parse(path);
        ns.readLock().lock();
        try {
            Resolved resolved = resolveExisting(p);
            if (!resolved.isDirectory()) {
                throw new FsError(Errno.ENOTDIR, "Not a directory: " + p);
            }
            return List.copyOf(children(p, resolved).keySet());
        } finally {
            ns.readLock().unlock();
        }
    }

    /**
     * The entries of a directory with their attributes, sorted by name ({@code .} and {@code ..}
     * are the binding's), from one resolution of the directory: a binding hands the kernel each
     * entry's type and attributes without a lookup per name. Each entry's attributes are what
     * {@link #getattr(String)} answers for its path.
     */
    public List<DirEntry> readdirWithAttributes(String path) {
        VolumePath p = parse(path);
        ns.readLock().lock();
        try {
            Resolved resolved = resolveExisting(p);
            if (!resolved.isDirectory()) {
                throw new FsError(Errno.ENOTDIR, "Not a directory: " + p);
            }
            Map<String, Versioned> published = resolved.remoteBelow() ? remote.children(p) : Map.of();
            Set<String> changed = overlayChildren.getOrDefault(p, Set.of());
            if (changed.isEmpty()) {
                // Nothing changed here locally (the common case in a big listing): the base's sorted listing is the answer.
                List<DirEntry> entries = new ArrayList<>(published.size());
                published.forEach((name, base) -> entries.add(new DirEntry(name, attributes(base.entry()))));
                return entries;
            }
            List<DirEntry> entries = new ArrayList<>();
            for (String name : children(p, resolved).keySet()) {
                // children() lists a name only when its overlay entry is not a whiteout or the base has it;
                // only names in overlayChildren can have an overlay entry (the common case in a big listing: none).
                Local local = changed.contains(name) ? overlay.get(p.child(name)) : null;
                Versioned base = published.get(name);
                entries.add(new DirEntry(name, attributes(new Resolved(local, base == null ? null : base.entry(), false))));
            }
            return entries;
        } finally {
            ns.readLock().unlock();
        }
    }

    public String readlink(String path) {
        VolumePath p = parse(path);
        ns.readLock().lock();
        try {
            Resolved resolved = resolveExisting(p);
            if (resolved.local() instanceof Local.Link link) {
                return link.target();
            }
            if (resolved.local() == null && resolved.remote() instanceof Entry.Symlink link) {
                return link.target();
            }
            throw new FsError(Errno.EINVAL, "Not a symbolic link: " + p);
        } finally {
            ns.readLock().unlock();
        }
    }

    public StatFs statfs() throws IOException {
        FileStore fileStore = Files.getFileStore(stateDir);
        long block = 4096;
        return new StatFs(block, fileStore.getTotalSpace() / block, fileStore.getUnallocatedSpace() / block,
                fileStore.getUsableSpace() / block, VolumePath.MAX_NAME_BYTES);
    }

    // ---- operations: files -------------------------------------------------------------------

    /** Opens an existing file; answers the handle. {@code flags} are open(2)'s. */
    public long open(String path, int flags) throws IOException {
        VolumePath p = parse(path);
        FileNode node;
        ns.readLock().lock();
        try {
            Resolved resolved = resolveExisting(p);
            node = fileNode(p, resolved);
            synchronized (node) {
                node.openCount++;
            }
        } finally {
            ns.readLock().unlock();
        }
        long fh = register(node, flags);
        if ((flags & O_TRUNC) != 0 && (flags & O_ACCMODE) != O_RDONLY) {
            truncateOrRelease(fh, node);
        }
        return fh;
    }

    /** Creates (or, without O_EXCL, opens) a file; answers the handle. */
    public long create(String path, int mode, int flags) throws IOException {
        VolumePath p = parse(path);
        FileNode node;
        boolean existed;
        ns.writeLock().lock();
        try {
            requireDirectory(p.loadParent());
            Resolved existing = resolve(p);
            existed = existing != null;
            if (existing != null) {
                if ((flags & O_EXCL) != 0) {
                    throw new FsError(Errno.EEXIST, "File exists: " + p);
                }
                node = fileNode(p, existing);
            } else {
                node = new FileNode(p, mode & Entry.MODE_MASK, now(), 0, List.of());
                Edit edit = new Edit();
                putOverlay(p, new Local.FileRef(node), edit);
                apply(edit);
            }
            synchronized (node) {
                node.openCount++;
            }
        } finally {
            ns.writeLock().unlock();
        }
        long fh = register(node, flags);
        if (existed && (flags & O_TRUNC) != 0) {
            truncateOrRelease(fh, node);
        }
        return fh;
    }

    /** Truncates a file being opened with O_TRUNC; when that fails the open fails, so its handle goes. */
    private void truncateOrRelease(long fh, FileNode node) throws IOException {
        boolean success = false;
        try {
            truncateNode(node, 0);
            success = true;
        } finally {
            if (!success) {
                release(fh);
            }
        }
    }

    /** The node for the file at {@code p}: the overlay's, an open one, or a new one over the published file. */
    private FileNode fileNode(VolumePath p, Resolved resolved) {
        if (resolved.local() instanceof Local.FileRef f) {
            return f.node();
        }
        if (resolved.isDirectory()) {
            throw new FsError(Errno.EISDIR, "Is a directory: " + p);
        }
        if (resolved.local() == null && resolved.remote() instanceof Entry.File file) {
            return openClean.computeIfAbsent(p, k -> FileNode.ofRemote(k, file));
        }
        throw new FsError(Errno.EINVAL, "Not a regular file: " + p);
    }

    private long register(FileNode node, int flags) {
        long fh = nextHandle.getAndIncrement();
        handles.put(fh, new Handle(node, flags));
        return fh;
    }

    private Handle handle(long fh) {
        Handle handle = handles.get(fh);
        if (handle == null) {
            throw new FsError(Errno.EBADF, "No open file with handle " + fh);
        }
        return handle;
    }

    /** Reads up to {@code size} bytes at {@code offset} into {@code dst}; answers the count (0 at the end). */
    public int read(long fh, ByteBuffer dst, int size, long offset) throws IOException {
        Handle handle = handle(fh);
        FileNode node = handle.node;
        List<ChunkRef> refs;
        int first;
        int last;
        int count;
        List<ChunkRef> ahead = List.of();
        List<ChunkRef> urlsAhead = List.of();
        boolean sequential = offset == 0 || (handle.lastReadEnd >= 0 && Math.abs(offset - handle.lastReadEnd) <= SEQUENTIAL_SLACK);
        synchronized (node) {
            if (offset >= node.size || size <= 0) {
                return 0;
            }
            count = (int) Math.min(size, node.size - offset);
            first = layout.indexOf(offset);
            last = layout.indexOf(offset + count - 1);
            refs = List.copyOf(node.chunks.subList(first, last + 1));
            // Read-ahead is decided once per chunk the reader enters, not on every request inside it.
            if (sequential && settings.readAheadBytes() > 0 && last != handle.lastChunk) {
                int end = readAheadEnd(node, handle, last);
                ahead = List.copyOf(node.chunks.subList(last + 1, end));
                urlsAhead = List.copyOf(node.chunks.subList(last + 1, Math.min(node.chunks.size(), end + URLS_AHEAD)));
            }
        }
        if (!ahead.isEmpty()) {
            // URLs for further than the read-ahead goes: the next prefetches find theirs ready.
            downloadUrls.hint(cleanIds(urlsAhead));
            cleanIds(ahead).forEach(cache::prefetch);
        }
        long position = offset;
        int remaining = count;
        for (int i = 0; remaining > 0; i++) {
            int index = first + i;
            long chunkStart = layout.start(index);
            long inChunk = position - chunkStart;
            int n = (int) Math.min(remaining, layout.capacity(index) - inChunk);
            switch (refs.get(i)) {
                case ChunkRef.Clean clean -> cache.read(clean.id(), inChunk, dst, n);
                case ChunkRef.Dirty d -> dirty.read(d.id(), inChunk, dst, n);
            }
            position += n;
            remaining -= n;
        }
        handle.lastReadEnd = offset + count;
        return count;
    }

    private static List<ChunkId> cleanIds(List<ChunkRef> refs) {
        List<ChunkId> ids = new ArrayList<>(refs.size());
        for (ChunkRef ref : refs) {
            if (ref instanceof ChunkRef.Clean clean) {
                ids.add(clean.id());
            }
        }
        return ids;
    }

    /**
     * The end (exclusive chunk index) of the read-ahead after chunk {@code last}: the handle's window
     * of chunks, doubled each time the reader moves into a new chunk, and never more than the
     * read-ahead's bytes. Starting small keeps a first read's own chunk from sharing the link with
     * many others. Caller holds the node's monitor.
     */
    private int readAheadEnd(FileNode node, Handle handle, int last) {
        if (handle.lastChunk >= 0 && last > handle.lastChunk) {
            handle.window = Math.min(handle.window * 2, 1 << 16);
        }
        handle.lastChunk = last;
        long bytes = 0;
        int end = last + 1;
        while (end < node.chunks.size() && end - last <= handle.window && bytes < settings.readAheadBytes()) {
            bytes += layout.capacity(end);
            end++;
        }
        return end;
    }

    /** Writes {@code size} bytes of {@code src} at {@code offset}; answers the count. */
    public int write(long fh, ByteBuffer src, int size, long offset) throws IOException {
        Handle handle = handle(fh);
        if ((handle.flags & O_ACCMODE) == O_RDONLY) {
            throw new FsError(Errno.EBADF, "File opened read-only");
        }
        FileNode node = handle.node;
        long end = offset + size;
        if (offset < 0 || end > ChunkLayout.MAX_FILE_SIZE) {
            throw new FsError(Errno.EFBIG, "Write past the largest file size");
        }
        if (size == 0) {
            return 0;
        }
        synchronized (node) {
            node.requireAttached();
            boolean structural = false;
            if (end > node.size) {
                resize(node, end);
                structural = true;
            }
            ByteBuffer bytes = src.duplicate().limit(src.position() + size);
            long position = offset;
            while (bytes.hasRemaining()) {
                int index = layout.indexOf(position);
                long inChunk = position - layout.start(index);
                int n = (int) Math.min(bytes.remaining(), layout.capacity(index) - inChunk);
                ChunkRef before = node.chunks.get(index);
                long id = writableChunk(node, index);
                structural |= !(before instanceof ChunkRef.Dirty d && d.id() == id);
                writeMakingRoom(id, inChunk, bytes.slice().limit(n));
                bytes.position(bytes.position() + n);
                position += n;
            }
            node.mtimeNanos = now();
            node.stamp++;
            promote(node, structural);
        }
        src.position(src.position() + size);
        return size;
    }

    /** Writes dirty bytes; on a full disk, evicts clean cached chunks and tries once more. */
    private void writeMakingRoom(long id, long offset, ByteBuffer bytes) throws IOException {
        int start = bytes.position();
        try {
            dirty.write(id, offset, bytes);
        } catch (IOException e) {
            if (e.getMessage() == null || !e.getMessage().contains("No space left")) {
                throw e;
            }
            long freed = cache.free(Math.max(layout.smallChunk(), (long) bytes.limit() - start) * 4);
            if (freed == 0) {
                throw e;
            }
            bytes.position(start);
            dirty.write(id, offset, bytes);
        }
    }

    public void flush(long fh) {
        FileNode node = handle(fh).node;
        synchronized (node) {
            persistIfChanged(node);
        }
    }

    /**
     * Forces the file's dirty bytes and its overlay entry to disk. The chunk files are forced all at once
     * (a large file has many): the disk and the file system's journal merge what one-by-one forcing
     * would make wait in turn.
     */
    public void fsync(long fh) throws IOException {
        FileNode node = handle(fh).node;
        synchronized (node) {
            List<Future<?>> forced = new ArrayList<>();
            for (ChunkRef ref : node.chunks) {
                if (ref instanceof ChunkRef.Dirty d) {
                    forced.add(syncPool.submit(() -> {
                        dirty.force(d.id());
                        return null;
                    }));
                }
            }
            Tasks.awaitAll(forced, "forcing the file to disk");
            if (isInOverlay(node)) {
                persist(node);
                store.sync();
            }
        }
    }

    public void release(long fh) {
        Handle handle = handles.remove(fh);
        if (handle == null) {
            throw new FsError(Errno.EBADF, "No open file with handle " + fh);
        }
        FileNode node = handle.node;
        synchronized (node) {
            node.openCount--;
            persistIfChanged(node);
            if (node.openCount <= 0 && node.path != null) {
                openClean.remove(node.path, node);
                if (isInOverlay(node)) {
                    hashAhead(node);
                }
            }
            if (node.openCount <= 0 && node.path == null) {
                // Unlinked while open: its last handle is gone, and so are its bytes.
                discardChunks(node, 0);
            }
        }
    }

    /**
     * Hashes a closed file's dirty chunks in the background, so that the commit that follows finds their
     * hashes ready and only uploads (a chunk changed since is hashed again by the commit). Caller holds
     * the node's monitor.
     */
    private void hashAhead(FileNode node) {
        for (int i = 0; i < node.chunks.size(); i++) {
            if (node.chunks.get(i) instanceof ChunkRef.Dirty d && !dirty.isSealed(d.id())) {
                long id = d.id();
                long length = layout.range(i, node.size).length();
                long changes = dirty.changes(id);
                if (dirty.hashedAhead(id, length).isPresent()) {
                    continue;
                }
                try {
                    hasher.execute(() -> {
                        try {
                            dirty.hashAhead(id, length, changes);
                        } catch (IOException e) {
                            // The commit hashes it then: nothing is lost but the head start.
                            LOG.debug("Volume '{}': hashing dirty chunk {} ahead failed: {}", volume, id, e.toString());
                        }
                    });
                } catch (RejectedExecutionException e) {
                    return; // closing
                }
            }
        }
    }

    /**
     * Deletes the dirty chunk files of the node's chunks from {@code fromIndex} on, which nothing can
     * reach any more (a removed file, a truncated tail). Sealed chunks belong to a running commit,
     * which moves them into the cache. Caller holds the node's monitor.
     */
    private void discardChunks(FileNode node, int fromIndex) {
        for (int i = fromIndex; i < node.chunks.size(); i++) {
            if (node.chunks.get(i) instanceof ChunkRef.Dirty d && !dirty.isSealed(d.id())) {
                try {
                    dirty.delete(d.id());
                } catch (IOException e) {
                    LOG.warn("Cannot delete dirty chunk {}: {}", d.id(), e.toString());
                }
            }
        }
    }

    public void truncate(String path, long size) throws IOException {
        VolumePath p = parse(path);
        ns.writeLock().lock();
        try {
            truncateNode(fileNode(p, resolveExisting(p)), size);
        } finally {
            ns.writeLock().unlock();
        }
    }

    public void truncate(long fh, long size) throws IOException {
        Handle handle = handle(fh);
        if ((handle.flags & O_ACCMODE) == O_RDONLY) {
            throw new FsError(Errno.EBADF, "File opened read-only");
        }
        truncateNode(handle.node, size);
    }

    private void truncateNode(FileNode node, long size) throws IOException {
        if (size < 0) {
            throw new FsError(Errno.EINVAL, "Negative size " + size);
        }
        if (size > ChunkLayout.MAX_FILE_SIZE) {
            throw new FsError(Errno.EFBIG, "Size past the largest file size");
        }
        synchronized (node) {
            node.requireAttached();
            if (size != node.size) {
                resize(node, size);
            }
            node.mtimeNanos = now();
            node.stamp++;
            promote(node, true);
        }
    }

    /**
     * Sets the node's size, keeping one chunk reference per chunk: a chunk whose length changes
     * becomes dirty, new chunks are holes. Caller holds the node's monitor.
     */
    private void resize(FileNode node, long size) throws IOException {
        long old = node.size;
        int oldCount = layout.count(old);
        int newCount = layout.count(size);
        if (size < old) {
            discardChunks(node, newCount);
            while (node.chunks.size() > newCount) {
                node.chunks.removeLast();
            }
            if (newCount > 0) {
                int last = newCount - 1;
                long newLength = layout.range(last, size).length();
                if (newLength != layout.range(last, old).length()) {
                    long id = writableChunk(node, last);
                    dirty.truncate(id, newLength);
                }
            }
        } else {
            if (oldCount > 0) {
                int last = oldCount - 1;
                if (layout.range(last, old).length() < layout.capacity(last)) {
                    writableChunk(node, last);
                }
            }
            for (int i = oldCount; i < newCount; i++) {
                node.chunks.add(new ChunkRef.Dirty(dirty.allocate()));
            }
        }
        node.size = size;
    }

    /** Makes chunk {@code index} of the node a dirty chunk this mount may write (copy on write); answers its id. */
    private long writableChunk(FileNode node, int index) throws IOException {
        ChunkRef ref = node.chunks.get(index);
        if (ref instanceof ChunkRef.Dirty d && !dirty.isSealed(d.id())) {
            return d.id();
        }
        long id = dirty.allocate();
        switch (ref) {
            case ChunkRef.Clean clean -> fillFromCache(id, clean.id());
            case ChunkRef.Dirty sealed -> dirty.fill(id, dirty.locate(sealed.id()), target -> false);
        }
        node.chunks.set(index, new ChunkRef.Dirty(id));
        return id;
    }

    /**
     * Makes dirty chunk {@code id} hold clean chunk {@code clean}'s bytes: the cached file itself when the
     * cache can hand it over, a copy otherwise. A cached file can go between finding and copying it (handed
     * to a writer of another file with the same chunk, or evicted), so that is retried with a fresh fetch.
     */
    private void fillFromCache(long id, ChunkId clean) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                dirty.fill(id, cache.ensure(clean), target -> cache.handOver(clean, target));
                return;
            } catch (NoSuchFileException e) {
                if (attempt >= 3) {
                    throw e;
                }
            }
        }
    }

    /** Puts a changed node into the overlay (if it is not there yet) and records it. Caller holds the node's monitor. */
    private void promote(FileNode node, boolean record) {
        VolumePath p = node.path;
        if (p == null) {
            return;
        }
        if (!isInOverlay(node)) {
            overlay.put(p, new Local.FileRef(node));
            p.parent().ifPresent(parent -> overlayChildren.computeIfAbsent(parent, k -> new ConcurrentSkipListSet<>()).add(p.name()));
            openClean.remove(p, node);
            record = true;
        }
        if (record) {
            persist(node);
        }
    }

    private boolean isInOverlay(FileNode node) {
        return node.path != null && overlay.get(node.path) instanceof Local.FileRef f && f.node() == node;
    }

    private void persist(FileNode node) {
        store.write(Map.of(key(node.path), OverlayCodec.encode(new Local.FileRef(node))), List.of());
        node.persistedStamp = node.stamp;
    }

    /** Records the node if it changed since it was last recorded (a flush or close after a write). Caller holds its monitor. */
    private void persistIfChanged(FileNode node) {
        if (node.stamp != node.persistedStamp && isInOverlay(node)) {
            persist(node);
        }
    }

    // ---- operations: namespace changes -------------------------------------------------------

    public void mkdir(String path, int mode) {
        VolumePath p = parse(path);
        ns.writeLock().lock();
        try {
            if (p.isRoot()) {
                throw new FsError(Errno.EEXIST, "The root exists");
            }
            requireDirectory(p.loadParent());
            if (resolve(p) != null) {
                throw new FsError(Errno.EEXIST, "File exists: " + p);
            }
            Edit edit = new Edit();
            putOverlay(p, new Local.Dir(mode & Entry.MODE_MASK, now(), true, shadowsRemoteDir(p)), edit);
            apply(edit);
        } finally {
            ns.writeLock().unlock();
        }
    }

    public void symlink(String target, String linkPath) {
        VolumePath p = parse(linkPath);
        if (target == null || target.isEmpty() || target.getBytes(StandardCharsets.UTF_8).length > Entry.Symlink.MAX_TARGET_BYTES) {
            throw new FsError(Errno.ENAMETOOLONG, "Symlink target empty or too long");
        }
        ns.writeLock().lock();
        try {
            requireDirectory(p.loadParent());
            if (resolve(p) != null) {
                throw new FsError(Errno.EEXIST, "File exists: " + p);
            }
            Edit edit = new Edit();
            putOverlay(p, new Local.Link(target, now()), edit);
            apply(edit);
        } finally {
            ns.writeLock().unlock();
        }
    }

    public void unlink(String path) {
        VolumePath p = parse(path);
        ns.writeLock().lock();
        try {
            Resolved resolved = resolveExisting(p);
            if (resolved.isDirectory()) {
                throw new FsError(Errno.EISDIR, "Is a directory: " + p);
            }
            Edit edit = new Edit();
            removePath(p, resolved, edit);
            apply(edit);
        } finally {
            ns.writeLock().unlock();
        }
    }

    public void rmdir(String path) {
        VolumePath p = parse(path);
        ns.writeLock().lock();
        try {
            if (p.isRoot()) {
                throw new FsError(Errno.EBUSY, "Cannot remove the root");
            }
            Resolved resolved = resolveExisting(p);
            if (!resolved.isDirectory()) {
                throw new FsError(Errno.ENOTDIR, "Not a directory: " + p);
            }
            if (!children(p, resolved).isEmpty()) {
                throw new FsError(Errno.ENOTEMPTY, "Directory not empty: " + p);
            }
            Edit edit = new Edit();
            removePath(p, resolved, edit);
            apply(edit);
        } finally {
            ns.writeLock().unlock();
        }
    }

    public void rename(String from, String to, int flags) throws IOException {
        VolumePath src = parse(from);
        VolumePath dst = parse(to);
        if ((flags & ~RENAME_NOREPLACE) != 0) {
            throw new FsError(Errno.EINVAL, "Unsupported rename flags " + flags);
        }
        ns.writeLock().lock();
        try {
            if (src.isRoot() || dst.isRoot()) {
                throw new FsError(Errno.EBUSY, "Cannot rename the root");
            }
            Resolved source = resolveExisting(src);
            requireDirectory(dst.loadParent());
            if (src.equals(dst)) {
                return;
            }
            if (src.isAncestorOf(dst)) {
                throw new FsError(Errno.EINVAL, "Cannot move a directory into itself: " + src + " -> " + dst);
            }
            Resolved target = resolve(dst);
            if (target != null) {
                if ((flags & RENAME_NOREPLACE) != 0) {
                    throw new FsError(Errno.EEXIST, "File exists: " + dst);
                }
                if (source.isDirectory() && !target.isDirectory()) {
                    throw new FsError(Errno.ENOTDIR, "Not a directory: " + dst);
                }
                if (!source.isDirectory() && target.isDirectory()) {
                    throw new FsError(Errno.EISDIR, "Is a directory: " + dst);
                }
                if (target.isDirectory() && !children(dst, target).isEmpty()) {
                    throw new FsError(Errno.ENOTEMPTY, "Directory not empty: " + dst);
                }
            }
            List<Map.Entry<VolumePath, Local>> moved = new ArrayList<>();
            collect(src, source, dst, moved);
            Edit edit = new Edit();
            if (target != null) {
                detachSubtree(dst);
                dropOverlaySubtree(dst, edit);
            }
            // The moved nodes follow the move; everything else under the source goes.
            Set<FileNode> movedNodes = new HashSet<>();
            for (Map.Entry<VolumePath, Local> e : moved) {
                if (e.getValue() instanceof Local.FileRef f) {
                    movedNodes.add(f.node());
                }
            }
            detachSubtree(src, movedNodes);
            dropOverlaySubtree(src, edit);
            if (source.remote() != null) {
                putOverlay(src, Local.WHITEOUT, edit);
            }
            for (Map.Entry<VolumePath, Local> e : moved) {
                if (e.getValue() instanceof Local.FileRef f) {
                    synchronized (f.node()) {
                        f.node().moveTo(e.getKey());
                        f.node().stamp++;
                    }
                }
                putOverlay(e.getKey(), e.getValue(), edit);
            }
            apply(edit);
        } finally {
            ns.writeLock().unlock();
        }
    }

    /** Collects what {@code src} holds (its whole subtree, for a directory) as overlay entries under {@code dst}. */
    private void collect(VolumePath src, Resolved resolved, VolumePath dst, List<Map.Entry<VolumePath, Local>> out) {
        if (resolved.isDirectory()) {
            Attributes attributes = attributes(resolved);
            out.add(Map.entry(dst, new Local.Dir(attributes.mode(), attributes.mtimeNanos(), true, shadowsRemoteDir(dst))));
            for (String name : children(src, resolved).keySet()) {
                VolumePath child = src.child(name);
                collect(child, resolveExisting(child), dst.child(name), out);
            }
        } else if (resolved.local() instanceof Local.Link link) {
            out.add(Map.entry(dst, link));
        } else if (resolved.local() == null && resolved.remote() instanceof Entry.Symlink link) {
            out.add(Map.entry(dst, new Local.Link(link.target(), link.mtimeNanos())));
        } else {
            out.add(Map.entry(dst, new Local.FileRef(fileNode(src, resolved))));
        }
    }

    public void chmod(String path, int mode) {
        VolumePath p = parse(path);
        int bits = mode & Entry.MODE_MASK;
        ns.writeLock().lock();
        try {
            Resolved resolved = resolveExisting(p);
            Edit edit = new Edit();
            if (resolved.isDirectory()) {
                Attributes attributes = attributes(resolved);
                putOverlay(p, withDir(resolved, bits, attributes.mtimeNanos()), edit);
            } else if (resolved.local() instanceof Local.Link || resolved.remote() instanceof Entry.Symlink && resolved.local() == null) {
                throw new FsError(Errno.EOPNOTSUPP, "Symbolic links have no mode of their own: " + p);
            } else {
                FileNode node = fileNode(p, resolved);
                synchronized (node) {
                    node.mode = bits;
                    node.stamp++;
                    promote(node, true);
                }
            }
            apply(edit);
        } finally {
            ns.writeLock().unlock();
        }
    }

    /** Sets the modification time (nanoseconds since the epoch); access times are not kept. */
    public void setModificationTime(String path, long mtimeNanos) {
        VolumePath p = parse(path);
        ns.writeLock().lock();
        try {
            Resolved resolved = resolveExisting(p);
            Edit edit = new Edit();
            if (resolved.isDirectory()) {
                putOverlay(p, withDir(resolved, attributes(resolved).mode(), mtimeNanos), edit);
            } else if (resolved.local() instanceof Local.Link link) {
                putOverlay(p, new Local.Link(link.target(), mtimeNanos), edit);
            } else if (resolved.local() == null && resolved.remote() instanceof Entry.Symlink link) {
                putOverlay(p, new Local.Link(link.target(), mtimeNanos), edit);
            } else {
                FileNode node = fileNode(p, resolved);
                synchronized (node) {
                    node.mtimeNanos = mtimeNanos;
                    node.stamp++;
                    promote(node, true);
                }
            }
            apply(edit);
        } finally {
            ns.writeLock().unlock();
        }
    }

    /** Ownership is the daemon's user: changing it to anything else is refused, keeping it is a no-op that succeeds. */
    public void chown(String path, int uid, int gid) {
        getattr(path);
        boolean sameUser = uid == -1 || uid == settings.uid();
        boolean sameGroup = gid == -1 || gid == settings.gid();
        if (!sameUser || !sameGroup) {
            throw new FsError(Errno.EPERM, "Files in a volume belong to the mounting user");
        }
    }

    private static Local.Dir withDir(Resolved resolved, int mode, long mtimeNanos) {
        if (resolved.local() instanceof Local.Dir dir) {
            return new Local.Dir(mode, mtimeNanos, dir.opaque(), dir.shadowsRemoteDir());
        }
        return new Local.Dir(mode, mtimeNanos, false, false);
    }

    /** True when the base holds a directory at {@code path}, which a local directory there replaces. */
    private boolean shadowsRemoteDir(VolumePath path) {
        return remote.find(path).filter(e -> e instanceof Entry.Directory).isPresent();
    }

    /** For restores: deletes {@code p} locally as unlink/rmdir would, whatever it holds. */
    void removeOverlaySubtreeAndHide(VolumePath p, Resolved resolved, Edit edit) {
        removePath(p, resolved, edit);
    }

    boolean shadowsRemote(VolumePath path) {
        return shadowsRemoteDir(path);
    }

    /** Deletes {@code p} locally: its overlay subtree goes, and a whiteout hides the base's entry if it has one. */
    private void removePath(VolumePath p, Resolved resolved, Edit edit) {
        detachSubtree(p);
        dropOverlaySubtree(p, edit);
        if (resolved.remote() != null) {
            putOverlay(p, Local.WHITEOUT, edit);
        }
    }

    /** Detaches the nodes at and under {@code p} from their paths (their handles keep reading them). */
    private void detachSubtree(VolumePath p) {
        detachSubtree(p, Set.of());
    }

    private void detachSubtree(VolumePath p, Set<FileNode> keep) {
        for (Map.Entry<VolumePath, Local> e : overlaySubtree(p).entrySet()) {
            if (e.getValue() instanceof Local.FileRef f && !keep.contains(f.node())) {
                FileNode node = f.node();
                synchronized (node) {
                    node.path = null;
                    if (node.openCount <= 0) {
                        discardChunks(node, 0);
                    }
                }
            }
        }
        openClean.entrySet().removeIf(e -> {
            if (e.getKey().equals(p) || p.isAncestorOf(e.getKey())) {
                if (!keep.contains(e.getValue())) {
                    e.getValue().moveTo(null);
                }
                return true;
            }
            return false;
        });
    }

    private SortedMap<VolumePath, Local> overlaySubtree(VolumePath p) {
        TreeMap<VolumePath, Local> subtree = new TreeMap<>();
        for (Map.Entry<VolumePath, Local> e : overlay.tailMap(p, true).entrySet()) {
            if (!e.getKey().equals(p) && !p.isAncestorOf(e.getKey())) {
                break;
            }
            subtree.put(e.getKey(), e.getValue());
        }
        return subtree;
    }

    private void dropOverlaySubtree(VolumePath p, Edit edit) {
        for (VolumePath path : overlaySubtree(p).keySet()) {
            removeOverlay(path, edit);
        }
    }

    void putOverlay(VolumePath p, Local local, Edit edit) {
        overlay.put(p, local);
        p.parent().ifPresent(parent -> overlayChildren.computeIfAbsent(parent, k -> new ConcurrentSkipListSet<>()).add(p.name()));
        edit.put(key(p), local);
    }

    void removeOverlay(VolumePath p, Edit edit) {
        if (overlay.remove(p) != null) {
            p.parent().ifPresent(parent -> {
                Set<String> names = overlayChildren.get(parent);
                if (names != null) {
                    names.remove(p.name());
                }
            });
        }
        edit.delete(key(p));
    }

    /** Store writes gathered by one operation, applied at once. */
    static final class Edit {
        final Map<String, Local> puts = new HashMap<>();
        final Set<String> deletes = new HashSet<>();
        final Map<String, byte[]> raw = new HashMap<>();

        void put(String key, Local local) {
            deletes.remove(key);
            puts.put(key, local);
        }

        void delete(String key) {
            puts.remove(key);
            raw.remove(key);
            deletes.add(key);
        }

        void putRaw(String key, byte[] value) {
            deletes.remove(key);
            raw.put(key, value);
        }
    }

    void apply(Edit edit) {
        if (edit.puts.isEmpty() && edit.deletes.isEmpty() && edit.raw.isEmpty()) {
            return;
        }
        Map<String, byte[]> puts = new HashMap<>(edit.raw);
        edit.puts.forEach((key, local) -> puts.put(key, OverlayCodec.encode(local)));
        store.write(puts, edit.deletes);
    }

    static String key(VolumePath p) {
        return OVERLAY_PREFIX + p.value();
    }

    // ---- chunk bytes -------------------------------------------------------------------------

    private dev.sail.volumes.client.PresignedUrl downloadUrl(ChunkId id) throws IOException {
        return downloadUrls.urlFor(id, cached -> Files.exists(cache.pathOf(cached)));
    }

    static long now() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    /** The paths this mount changed since its base, sorted. */
    public List<VolumePath> dirtyPaths() {
        return List.copyOf(overlay.keySet());
    }

    public boolean isClosed() {
        return closed;
    }

    /** Stops background fetches; the store and the transfer belong to the caller. Safe to call twice. */
    @Override
    public void close() {
        closed = true;
        hasher.shutdownNow();
        syncPool.shutdownNow();
        cache.close();
    }
}
