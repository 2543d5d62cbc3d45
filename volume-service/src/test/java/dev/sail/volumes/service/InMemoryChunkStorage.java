package dev.sail.volumes.service;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.PackId;
import dev.sail.volumes.service.storage.ChunkStorage;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** Chunk and pack objects in maps, with hooks that let a test stop a HEAD or a delete at an exact moment. Thread-safe. */
public final class InMemoryChunkStorage implements ChunkStorage {
    private final Map<String, StoredChunk> objects = new ConcurrentHashMap<>();
    private final Map<String, StoredPack> packs = new ConcurrentHashMap<>();
    public volatile Runnable beforeHead = () -> { };
    public volatile Runnable beforeDelete = () -> { };

    public void put(String orgId, ChunkId id, long size, Instant lastModified) {
        objects.put(ChunkStorage.key(orgId, id), new StoredChunk(orgId, id, size, lastModified));
    }

    public boolean contains(String orgId, ChunkId id) {
        return objects.containsKey(ChunkStorage.key(orgId, id));
    }

    public void putPack(String orgId, PackId id, long size, Instant lastModified) {
        packs.put(ChunkStorage.key(orgId, id), new StoredPack(orgId, id, size, lastModified));
    }

    public boolean containsPack(String orgId, PackId id) {
        return packs.containsKey(ChunkStorage.key(orgId, id));
    }

    @Override
    public Presigned presignPackPut(String orgId, PackId pack, long size) {
        return new Presigned(URI.create("http://s3.invalid/" + ChunkStorage.key(orgId, pack)), Map.of());
    }

    @Override
    public Presigned presignPackSlice(String orgId, PackId pack, long offset, long size) {
        return new Presigned(URI.create("http://s3.invalid/" + ChunkStorage.key(orgId, pack)), Map.of("range", ChunkStorage.range(offset, size)));
    }

    @Override
    public OptionalLong packSizeOf(String orgId, PackId pack) {
        beforeHead.run();
        StoredPack stored = packs.get(ChunkStorage.key(orgId, pack));
        return stored == null ? OptionalLong.empty() : OptionalLong.of(stored.size());
    }

    @Override
    public void deletePack(String orgId, PackId pack) {
        beforeDelete.run();
        packs.remove(ChunkStorage.key(orgId, pack));
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
    public void forEachObject(Consumer<StoredChunk> chunks, Consumer<StoredPack> packs) {
        List.copyOf(objects.values()).forEach(chunks);
        List.copyOf(this.packs.values()).forEach(packs);
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
