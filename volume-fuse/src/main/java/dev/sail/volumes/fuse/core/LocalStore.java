package dev.sail.volumes.fuse.core;

import java.util.Collection;
import java.util.Map;
import java.util.SortedMap;

/**
 * The mount's durable local state: the base commit and the overlay's metadata, as keys and values
 * the file system encodes. A write is atomic (all of it or none) and survives the daemon's death
 * ({@code kill -9}) once the call returns. Implementations are thread-safe.
 */
public interface LocalStore extends AutoCloseable {
    /** Every key and value, sorted by key. */
    SortedMap<String, byte[]> loadAll();

    /** Applies every put and delete at once. */
    void write(Map<String, byte[]> puts, Collection<String> deletes);

    /**
     * Forces every write made so far to stable storage, so that it survives a crash of the machine too
     * (a plain write survives the daemon's death only). For {@code fsync} on a file of the mount.
     */
    void sync();

    /** Closes the store; safe to call twice. */
    @Override
    void close();
}
