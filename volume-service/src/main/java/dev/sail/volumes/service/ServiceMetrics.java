package dev.sail.volumes.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;

/** The service's meters, exported in Prometheus text format at {@code /metrics}. Thread-safe. */
public final class ServiceMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter commits = Counter.builder("sail_commits").description("Commits published").register(registry);
    private final Counter commitReplays = Counter.builder("sail_commit_replays").description("Commits answered from an idempotency record").register(registry);
    private final Counter pathsWritten = Counter.builder("sail_commit_paths_written").description("Path writes applied by commits").register(registry);
    private final Counter bytesReferenced = Counter.builder("sail_commit_bytes_referenced").description("Bytes of the files written by commits").baseUnit("bytes").register(registry);
    private final Counter chunksUploaded = Counter.builder("sail_chunks_upload_urls").description("Chunks the org lacked: a presigned PUT was handed out").register(registry);
    private final Counter chunksReused = Counter.builder("sail_chunks_reused").description("Chunks the org already held: no upload needed").register(registry);
    private final Counter uploadsVerified = Counter.builder("sail_uploads_verified").description("Uploaded chunks found in storage and registered before their commit").register(registry);
    private final Counter uploadsNotFound = Counter.builder("sail_uploads_not_found").description("Chunks a client reported uploaded that storage did not hold (yet)").register(registry);
    private final Counter gcRuns = Counter.builder("sail_gc_runs").description("Garbage collection passes").register(registry);
    private final Counter gcChunks = Counter.builder("sail_gc_chunks_deleted").description("Chunks deleted by garbage collection").register(registry);
    private final Counter gcBytes = Counter.builder("sail_gc_bytes_deleted").description("Bytes deleted by garbage collection").baseUnit("bytes").register(registry);

    public void commit(int paths, long bytes) {
        commits.increment();
        pathsWritten.increment(paths);
        bytesReferenced.increment(bytes);
    }

    public void commitReplayed() {
        commitReplays.increment();
    }

    public void uploadPlan(int missing, int present) {
        chunksUploaded.increment(missing);
        chunksReused.increment(present);
    }

    public void uploadsVerified(int found, int notFound) {
        uploadsVerified.increment(found);
        uploadsNotFound.increment(notFound);
    }

    public void gc(long chunks, long bytes) {
        gcRuns.increment();
        gcChunks.increment(chunks);
        gcBytes.increment(bytes);
    }

    public void request(String method, String route, int status, Duration latency) {
        Timer.builder("sail_http_requests")
                .description("HTTP request latency")
                .tag("method", method)
                .tag("route", route)
                .tag("status", Integer.toString(status))
                .publishPercentiles(0.5, 0.99)
                .register(registry)
                .record(latency);
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }
}
