package dev.sail.volumes.benchmarks.service;

import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.HttpVolumeService;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link ServiceDriver} through the real HTTP API with the guest's client ({@link HttpVolumeService}).
 * Thread-safe; {@link #close()} closes this client and every client {@link #newClient()} made, once.
 */
final class HttpServiceDriver implements ServiceDriver {
    /** Long enough for a commit of 10^5 paths on a busy machine. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(5);

    private final URI baseUrl;
    private final String apiKey;
    private final HttpVolumeService client;
    private final List<HttpServiceDriver> others = new ArrayList<>();
    private boolean closed;

    HttpServiceDriver(URI baseUrl, String apiKey) {
        this.baseUrl = baseUrl;
        this.apiKey = apiKey;
        this.client = new HttpVolumeService(baseUrl, apiKey, REQUEST_TIMEOUT);
    }

    @Override
    public String name() {
        return "http";
    }

    @Override
    public void createVolume(String volume) {
        client.createVolumeIfMissing(VolumeName.of(volume));
    }

    @Override
    public long head(String volume) {
        return client.findVolume(VolumeName.of(volume)).orElseThrow(() ->
                new ServiceBenchmarkException("Volume '" + volume + "' does not exist")).headSeq();
    }

    @Override
    public List<PresignedUrl> planUploads(String volume, List<ChunkSpec> chunks) {
        return client.planUploads(VolumeName.of(volume), chunks).uploads();
    }

    @Override
    public long commit(String volume, CommitProposal proposal) {
        return client.commit(VolumeName.of(volume), proposal).seq();
    }

    @Override
    public boolean stat(String volume, VolumePath path, long seq) {
        return client.stat(VolumeName.of(volume), path, seq).isPresent();
    }

    @Override
    public int list(String volume, VolumePath directory, long seq, int limit) {
        return client.list(VolumeName.of(volume), directory, seq, null, limit).items().size();
    }

    @Override
    public int delta(String volume, long from, long to, int limit) {
        return client.delta(VolumeName.of(volume), from, to, null, limit).items().size();
    }

    @Override
    public synchronized ServiceDriver newClient() {
        HttpServiceDriver other = new HttpServiceDriver(baseUrl, apiKey);
        others.add(other);
        return other;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        others.forEach(HttpServiceDriver::close);
        client.close();
    }
}
