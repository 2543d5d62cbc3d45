package dev.sail.volumes.fuse.core;

import java.util.Collection;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** A {@link LocalStore} in memory, for tests and for mounts that need nothing to survive. Thread-safe. */
public final class InMemoryLocalStore implements LocalStore {
    private final TreeMap<String, byte[]> data = new TreeMap<>();

    @Override
    public synchronized SortedMap<String, byte[]> loadAll() {
        TreeMap<String, byte[]> copy = new TreeMap<>();
        data.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    @Override
    public synchronized void write(Map<String, byte[]> puts, Collection<String> deletes) {
        deletes.forEach(data::remove);
        puts.forEach((k, v) -> data.put(k, v.clone()));
    }

    /** Nothing to force: this store keeps nothing across the process anyway. */
    @Override
    public void sync() {
    }

    @Override
    public void close() {
    }
}
