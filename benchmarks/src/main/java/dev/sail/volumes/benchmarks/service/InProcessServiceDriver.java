package dev.sail.volumes.benchmarks.service;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.service.ServiceException;
import dev.sail.volumes.service.VolumeOperations;
import dev.sail.volumes.service.storage.ChunkStorage;
import dev.sail.volumes.service.store.Org;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * {@link ServiceDriver} calling {@link VolumeOperations} directly: the service's own code path minus
 * HTTP and JSON. Thread-safe; closing it closes nothing (the caller owns the operations' store and storage).
 */
final class InProcessServiceDriver implements ServiceDriver {
    private final VolumeOperations operations;
    private final Org org;

    InProcessServiceDriver(VolumeOperations operations, Org org) {
        this.operations = operations;
        this.org = org;
    }

    @Override
    public String name() {
        return "in-process";
    }

    @Override
    public void createVolume(String volume) {
        operations.findOrCreate(org, VolumeName.of(volume), VolumeOperations.MintPolicy.CREATE_IF_MISSING);
    }

    @Override
    public long head(String volume) {
        return operations.loadVolume(org, VolumeName.of(volume)).headSeq();
    }

    @Override
    public List<PresignedUrl> planUploads(String volume, List<ChunkSpec> chunks) {
        Map<ChunkId, Long> sizes = new LinkedHashMap<>();
        chunks.forEach(chunk -> sizes.put(chunk.id(), chunk.size()));
        List<PresignedUrl> urls = new ArrayList<>();
        for (Map.Entry<ChunkId, ChunkStorage.Presigned> upload : operations.planUploads(org, VolumeName.of(volume), sizes)
                .uploads().entrySet()) {
            urls.add(new PresignedUrl(upload.getKey(), upload.getValue().url(), upload.getValue().headers()));
        }
        return urls;
    }

    @Override
    public long commit(String volume, CommitProposal proposal) {
        return operations.commit(org, VolumeName.of(volume), proposal).outcome().seq();
    }

    @Override
    public boolean stat(String volume, VolumePath path, long seq) {
        try {
            operations.stat(org, VolumeName.of(volume), path, OptionalLong.of(seq));
            return true;
        } catch (ServiceException e) {
            if (e.status() == 404 && e.code().equals("not_found")) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public int list(String volume, VolumePath directory, long seq, int limit) {
        return operations.list(org, VolumeName.of(volume), directory, OptionalLong.of(seq), null, limit).items().size();
    }

    @Override
    public int delta(String volume, long from, long to, int limit) {
        return operations.delta(org, VolumeName.of(volume), from, OptionalLong.of(to), null, limit).items().size();
    }

    @Override
    public ServiceDriver newClient() {
        return this;
    }

    @Override
    public void close() {
        // Nothing of its own: the store and storage belong to whoever built the operations.
    }
}
