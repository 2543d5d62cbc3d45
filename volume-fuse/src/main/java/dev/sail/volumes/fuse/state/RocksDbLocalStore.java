package dev.sail.volumes.fuse.state;

import dev.sail.volumes.fuse.VolumeFuseException;
import dev.sail.volumes.fuse.core.LocalStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The mount's local state in RocksDB under the state dir. Writes go through the write-ahead log
 * (not fsynced: a killed daemon loses nothing, the OS page cache holds the log), each as one
 * {@link WriteBatch}. Thread-safe. Closing releases the options, then the database; twice is fine.
 */
public final class RocksDbLocalStore implements LocalStore {
    private final Path dir;
    private final Options options;
    private final WriteOptions writeOptions;
    private final RocksDB db;
    private boolean closed;

    /**
     * Opens (creating if missing) the state in {@code dir}, loading RocksDB's library first unless a
     * {@link RocksDbLibrary#loadInBackground() background load} has done it.
     *
     * @throws VolumeFuseException when the library cannot load or the database cannot open (in use, damaged)
     */
    public RocksDbLocalStore(Path dir) {
        this.dir = dir;
        RocksDbLibrary.load();
        try {
            Files.createDirectories(dir);
            this.options = new Options().setCreateIfMissing(true).setKeepLogFileNum(2).setMaxManifestFileSize(4 << 20);
            this.writeOptions = new WriteOptions();
            this.db = RocksDB.open(options, dir.toString());
        } catch (RocksDBException | java.io.IOException e) {
            throw new VolumeFuseException("Cannot open the local state at " + dir + ": " + e.getMessage()
                    + " (is another daemon using this state dir?)", e);
        }
    }

    @Override
    public synchronized SortedMap<String, byte[]> loadAll() {
        checkOpen();
        TreeMap<String, byte[]> all = new TreeMap<>();
        try (RocksIterator it = db.newIterator()) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                all.put(new String(it.key(), StandardCharsets.UTF_8), it.value());
            }
        }
        return all;
    }

    @Override
    public void write(Map<String, byte[]> puts, Collection<String> deletes) {
        checkOpen();
        try (WriteBatch batch = new WriteBatch()) {
            for (String key : deletes) {
                batch.delete(key.getBytes(StandardCharsets.UTF_8));
            }
            for (Map.Entry<String, byte[]> e : puts.entrySet()) {
                batch.put(e.getKey().getBytes(StandardCharsets.UTF_8), e.getValue());
            }
            db.write(writeOptions, batch);
        } catch (RocksDBException e) {
            throw new VolumeFuseException("Cannot write the local state at " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void sync() {
        checkOpen();
        try {
            db.flushWal(true);
        } catch (RocksDBException e) {
            throw new VolumeFuseException("Cannot sync the local state at " + dir + ": " + e.getMessage(), e);
        }
    }

    private synchronized void checkOpen() {
        if (closed) {
            throw new VolumeFuseException("The local state at " + dir + " is closed");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        db.close();
        writeOptions.close();
        options.close();
    }
}
