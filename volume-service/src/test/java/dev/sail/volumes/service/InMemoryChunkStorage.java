package dev.sail.volumes.service;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.service.storage.ChunkStorage;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** Chunk objects in a map, with hooks that let a test stop a HEAD or a delete at an exact moment. Thread-safe. */
public final class InMemoryChunkStorage implements ChunkStorage {
    private final Map<String, StoredChunk> objects = new ConcurrentHashMap<>();
    public volatile Runnable beforeHead = () -> { };
    public volatile Runnable beforeDelete = () -> { };

    public void put(String orgId, ChunkId id, long size, Instant lastModified) {
        objects.put(ChunkStorage.key(orgId, id), new StoredChunk(orgId, id, size, lastModified));
    }

    public boolean contains(String orgId, ChunkId id) {
        return objects.containsKey(ChunkStorage.key(orgId, id));
    }

    @Override
    public Presigned presignPut(String orgId, ChunkId id, long size) {
        return new Presigned(URI.create("http://s3.invalid/" + ChunkStorage.key(orgId, id)), Map.of());
    }

    @Override
    public Presigned presignGet(String orgId, ChunkId id) {
        return presignPut(orgId, id, 0);
    }

    @Override
    public Duration presignExpiry() {
        return Duration.ofMinutes(1);
    }

    @Override
    public OptionalLong sizeOf(String orgId, ChunkId id) {
        beforeHead.run();
        StoredChunk chunk = objects.get(ChunkStorage.key(orgId, id));
        return chunk == null ? OptionalLong.empty() : OptionalLong.of(chunk.size());
    }

    @Override
    public void forEachChunk(Consumer<StoredChunk> action) {
        List.copyOf(objects.values()).forEach(action);
    }

    @Override
    public void delete(String orgId, ChunkId id) {
        beforeDelete.run();
        objects.remove(ChunkStorage.key(orgId, id));
    }

    @Override
    public void close() {
    }
}
