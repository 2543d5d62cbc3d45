package dev.sail.volumes.fuse.state;

import dev.sail.volumes.fuse.VolumeFuseException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.jar.JarEntry;
import java.util.zip.CRC32;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads RocksDB's native library from a directory that outlives the process. Left to itself,
 * {@link RocksDB#loadLibrary()} inflates the library (17 MiB on linux-x86_64) out of its jar into
 * {@code java.io.tmpdir} on every start, and a daemon killed with {@code -9} leaves that copy behind.
 * Here it is extracted once per user and library build into
 * {@code <cache>/native/<library>-<crc32>-<size>/} (the cache dir is {@code $SAIL_VOLUME_CACHE_DIR},
 * else {@code $XDG_CACHE_HOME/sail-volume}, else {@code ~/.cache/sail-volume}), and loaded from there.
 *
 * <p>The directories are created mode 0700 and used only when they belong to this user, are not
 * symbolic links and nobody else can write them. The library file is loaded only when its size and
 * CRC-32 equal those of the entry in the jar (so a file of another RocksDB build, or a damaged one, is
 * replaced, never loaded); it is written under a temporary name and renamed into place, so daemons
 * starting together never see a half-written file. Whenever this directory cannot be used (no home,
 * a read-only or {@code noexec} file system, a directory someone else controls), the library is
 * loaded the way RocksDB does by default, and the mount works as before.
 *
 * <p>Thread-safe: the first caller loads, later and concurrent callers wait for that load.
 * {@link #loadInBackground()} starts the load on its own thread so that a daemon can do its network
 * round trips meanwhile; {@link #load()} then only waits for it.
 */
public final class RocksDbLibrary {
    private static final Logger LOG = LoggerFactory.getLogger(RocksDbLibrary.class);
    /** The library's resource name in the rocksdbjni jar, e.g. {@code librocksdbjni-linux64.so}. */
    private static final String RESOURCE_STEM = "rocksdb";
    /**
     * The name {@link RocksDB#loadLibrary(List)} looks for in each directory it is given. It passes
     * {@code "rocksdbjni"} where the jar's own entry uses {@code "rocksdb"} (11.8.1:
     * {@code librocksdbjnijni-linux64.so}), so the extracted file takes the name RocksDB computes
     * rather than the entry's.
     */
    private static final String LOAD_STEM = "rocksdbjni";

    private static final Object LOCK = new Object();
    /** The one load of this process (the file loaded, or empty for RocksDB's default way); guarded by {@link #LOCK}. */
    private static CompletableFuture<Optional<Path>> loading;

    private RocksDbLibrary() {
    }

    /** Starts loading the library on a daemon thread, unless a load has started already. */
    public static void loadInBackground() {
        CompletableFuture<Optional<Path>> started;
        synchronized (LOCK) {
            if (loading != null) {
                return;
            }
            started = loading = new CompletableFuture<>();
        }
        Thread.ofPlatform().daemon().name("rocksdb-library").start(() -> complete(started));
    }

    /**
     * Loads the library, or waits for the load already started; answers the file it was loaded from,
     * or empty when it was loaded RocksDB's default way.
     *
     * @throws VolumeFuseException when the library cannot be loaded at all, not even RocksDB's way
     */
    public static Optional<Path> load() {
        CompletableFuture<Optional<Path>> mine = null;
        CompletableFuture<Optional<Path>> load;
        synchronized (LOCK) {
            if (loading == null) {
                mine = loading = new CompletableFuture<>();
            }
            load = loading;
        }
        if (mine != null) {
            complete(mine);
        }
        try {
            return load.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof VolumeFuseException v ? v
                    : new VolumeFuseException("Cannot load RocksDB's native library: " + e.getCause(), e.getCause());
        }
    }

    private static void complete(CompletableFuture<Optional<Path>> load) {
        try {
            load.complete(loadFrom(defaultCacheDir(System.getenv()).map(dir -> dir.resolve("native"))));
        } catch (Throwable t) {
            load.completeExceptionally(t);
        }
    }

    /** Loads from under {@code root} when it can be used, else RocksDB's default way; answers the file loaded. */
    static Optional<Path> loadFrom(Optional<Path> root) {
        long start = System.nanoTime();
        if (root.isPresent()) {
            try {
                Path file = install(root.get());
                RocksDB.loadLibrary(List.of(file.getParent().toString()));
                LOG.debug("RocksDB's library loaded from {} in {} ms", file, (System.nanoTime() - start) / 1_000_000);
                return Optional.of(file);
            } catch (IOException | VolumeFuseException | UnsatisfiedLinkError | SecurityException e) {
                LOG.info("Loading RocksDB's library the default way (a copy in the temp dir): {}", e.getMessage());
            }
        }
        try {
            RocksDB.loadLibrary();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new VolumeFuseException("Cannot load RocksDB's native library: " + e.getMessage(), e);
        }
        LOG.debug("RocksDB's library loaded from the temp dir in {} ms", (System.nanoTime() - start) / 1_000_000);
        return Optional.empty();
    }

    /**
     * The per-user cache dir of Sail Volumes: {@code $SAIL_VOLUME_CACHE_DIR}, else
     * {@code $XDG_CACHE_HOME/sail-volume}, else {@code ~/.cache/sail-volume}; empty without any of them.
     */
    static Optional<Path> defaultCacheDir(Map<String, String> env) {
        String configured = env.get("SAIL_VOLUME_CACHE_DIR");
        if (configured != null && !configured.isBlank()) {
            return absolute(configured);
        }
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return absolute(xdg).map(p -> p.resolve("sail-volume"));
        }
        String home = System.getProperty("user.home");
        return home == null || home.isBlank() ? Optional.empty()
                : absolute(home).map(p -> p.resolve(".cache").resolve("sail-volume"));
    }

    private static Optional<Path> absolute(String path) {
        try {
            Path p = Path.of(path);
            return p.isAbsolute() ? Optional.of(p) : Optional.empty();
        } catch (java.nio.file.InvalidPathException e) {
            return Optional.empty();
        }
    }

    /**
     * Makes sure the library of this RocksDB build is in its directory under {@code root}, intact,
     * and answers its file; extracts it when it is missing or differs from the jar's entry.
     *
     * @throws IOException         when a directory or the file cannot be written or read
     * @throws VolumeFuseException when the library is not in a jar, or a directory is not safe to load from
     */
    static Path install(Path root) throws IOException {
        String resource = Environment.getJniLibraryFileName(RESOURCE_STEM);
        URL url = RocksDB.class.getClassLoader().getResource(resource);
        if (url == null && Environment.getFallbackJniLibraryFileName(RESOURCE_STEM) != null) {
            resource = Environment.getFallbackJniLibraryFileName(RESOURCE_STEM);
            url = RocksDB.class.getClassLoader().getResource(resource);
        }
        if (url == null) {
            throw new VolumeFuseException("RocksDB's jar has no library " + resource + " for this platform");
        }
        URLConnection connection = url.openConnection();
        if (!(connection instanceof JarURLConnection jar)) {
            throw new VolumeFuseException("RocksDB's library " + url + " is not inside a jar");
        }
        JarEntry entry = jar.getJarEntry();
        if (entry.getCrc() < 0 || entry.getSize() < 0) {
            throw new VolumeFuseException("RocksDB's jar does not record the size and CRC of " + resource);
        }
        String stem = resource.substring(0, resource.lastIndexOf('.'));
        Path dir = root.resolve(String.format(Locale.ROOT, "%s-%08x-%d", stem, entry.getCrc(), entry.getSize()));
        ownDirectory(root);
        ownDirectory(dir);
        Path file = dir.resolve(Environment.getJniLibraryFileName(LOAD_STEM));
        if (!isIntact(file, entry.getCrc(), entry.getSize())) {
            extract(url, dir, file, entry.getCrc(), entry.getSize());
            LOG.debug("Extracted RocksDB's library to {}", file);
        }
        return file;
    }

    /** Creates {@code dir} (mode 0700) if missing; refuses one that is not this user's alone to write. */
    static void ownDirectory(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // Another daemon created it meanwhile: checked below like any existing directory.
            }
        }
        Map<String, Object> attributes = Files.readAttributes(dir, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) attributes.get("mode");
        if ((mode & 0170000) != 0040000) {
            throw new VolumeFuseException(dir + " is not a directory (a symbolic link or a file is never followed)");
        }
        if ((Integer) attributes.get("uid") != currentUid()) {
            throw new VolumeFuseException(dir + " belongs to another user");
        }
        if ((mode & 0022) != 0) {
            throw new VolumeFuseException(dir + " is writable by other users (mode " + Integer.toOctalString(mode & 0777) + ")");
        }
    }

    /** True when {@code file} is a regular file of this user (not a link) with the given size and CRC-32. */
    static boolean isIntact(Path file, long crc, long size) throws IOException {
        Map<String, Object> attributes;
        try {
            attributes = Files.readAttributes(file, "unix:uid,mode,size", LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
        if (((Integer) attributes.get("mode") & 0170000) != 0100000 || (Integer) attributes.get("uid") != currentUid()
                || (Long) attributes.get("size") != size) {
            return false;
        }
        CRC32 actual = new CRC32();
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            while (channel.read(buffer.clear()) > 0) {
                actual.update(buffer.flip());
            }
        }
        return actual.getValue() == crc;
    }

    /** Copies the entry at {@code url} to a temporary file in {@code dir}, checks it, and renames it to {@code file}. */
    private static void extract(URL url, Path dir, Path file, long crc, long size) throws IOException {
        Path partial = Files.createTempFile(dir, ".extract-", ".tmp");
        boolean success = false;
        try {
            CRC32 actual = new CRC32();
            long copied = 0;
            try (InputStream in = url.openStream(); OutputStream out = Files.newOutputStream(partial)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; copied += n) {
                    actual.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                }
            }
            if (copied != size || actual.getValue() != crc) {
                throw new VolumeFuseException("The copy of RocksDB's library in " + dir + " does not match the jar's entry");
            }
            try {
                Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("Cannot rename within " + dir + " atomically", e);
            }
            success = true;
        } finally {
            if (!success) {
                Files.deleteIfExists(partial);
            }
        }
    }

    private static int currentUid() throws IOException {
        // The owner of this process's /proc entry is the process's (real) user.
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }
}
