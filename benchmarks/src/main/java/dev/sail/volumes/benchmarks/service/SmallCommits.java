package dev.sail.volumes.benchmarks.service;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.ChunkTransfer;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumePath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Small commits per second: each client commits in a loop for a fixed time, after a warm-up; every
 * commit is synced to disk by the service. Two kinds of commit, three ways of spreading clients.
 */
final class SmallCommits {
    /** What one commit carries. */
    enum Kind {
        /** One new 4 KiB file: upload plan, presigned PUT of its chunk to S3, commit (the service HEADs the chunk). */
        NEW_FILE("new 4 KiB file (plan + PUT + commit)"),
        /** A rename of a 4 KiB file whose chunk the org holds: a delete and a create, no bytes moved. */
        RENAME("rename (metadata only)");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /** How many clients commit, and where. */
    enum Spread {
        ONE_CLIENT(1, "1 client"),
        EIGHT_VOLUMES(8, "8 clients, 8 volumes"),
        ONE_VOLUME(8, "8 clients, 1 volume");

        final int clients;
        final String label;

        Spread(int clients, String label) {
            this.clients = clients;
            this.label = label;
        }
    }

    /** One case's outcome: commits finished in the measured window, its length, and each commit's latency. */
    record Result(String driver, Kind kind, Spread spread, int commits, double seconds, LatencySamples latency,
                  LatencySamples commitCall) {
        double perSecond() {
            return commits / seconds;
        }
    }

    private final ServiceDriver driver;
    private final ChunkTransfer transfer;
    private final SeedChunks seeds;
    private final Duration warmup;
    private final Duration measured;

    SmallCommits(ServiceDriver driver, ChunkTransfer transfer, SeedChunks seeds, Duration warmup, Duration measured) {
        this.driver = driver;
        this.transfer = transfer;
        this.seeds = seeds;
        this.warmup = warmup;
        this.measured = measured;
    }

    /** Every kind under every spread, one after the other. */
    List<Result> runAll() {
        List<Result> results = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            for (Spread spread : Spread.values()) {
                results.add(run(kind, spread));
            }
        }
        return results;
    }

    Result run(Kind kind, Spread spread) {
        String base = "small-" + driver.name() + "-" + kind.name().toLowerCase().replace('_', '-') + "-" + spread.name().toLowerCase().replace('_', '-');
        List<Client> clients = new ArrayList<>();
        for (int c = 0; c < spread.clients; c++) {
            String volume = spread == Spread.EIGHT_VOLUMES ? base + "-" + c : base;
            driver.createVolume(volume);
            clients.add(new Client(driver.newClient(), volume, c, kind));
        }
        CyclicBarrier start = new CyclicBarrier(clients.size());
        List<Future<Client>> running = new ArrayList<>();
        try (ExecutorService executor = Executors.newFixedThreadPool(clients.size())) {
            for (Client client : clients) {
                running.add(executor.submit(() -> client.runFor(start, warmup, measured)));
            }
            int commits = 0;
            long windowNanos = 0;
            LatencySamples latency = new LatencySamples();
            LatencySamples commitCall = new LatencySamples();
            for (Future<Client> f : running) {
                Client done = f.get();
                commits += done.latency.count();
                windowNanos = Math.max(windowNanos, done.windowNanos);
                latency.addAll(done.latency);
                commitCall.addAll(done.commitCall);
            }
            return new Result(driver.name(), kind, spread, commits, windowNanos / 1e9, latency, commitCall);
        } catch (ExecutionException e) {
            throw new ServiceBenchmarkException("Small commits (" + kind.label + ", " + spread.label + ") failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceBenchmarkException("Interrupted during small commits", e);
        }
    }

    /** One committing client: its own directory, its own idea of the base. Confined to one thread. */
    private final class Client {
        private final ServiceDriver service;
        private final String volume;
        private final String dir;
        private final Kind kind;
        private final Entry.File renamed;
        private final LatencySamples latency = new LatencySamples();
        private final LatencySamples commitCall = new LatencySamples();
        private long windowNanos;
        private long baseSeq;
        private int next;

        Client(ServiceDriver service, String volume, int index, Kind kind) {
            this.service = service;
            this.volume = volume;
            this.dir = "client-" + index;
            this.kind = kind;
            this.renamed = seeds.file(index, 0);
            this.baseSeq = service.head(volume);
            if (kind == Kind.RENAME) {
                baseSeq = service.commit(volume, proposal(List.of(new Change(path(0), renamed))));
            }
        }

        Client runFor(CyclicBarrier start, Duration warmup, Duration measured) throws Exception {
            start.await();
            long begin = System.nanoTime();
            long windowStart = begin + warmup.toNanos();
            long windowEnd = windowStart + measured.toNanos();
            long now = begin;
            while (now < windowEnd) {
                long opStart = now;
                long commitNanos = commitOnce();
                now = System.nanoTime();
                if (opStart >= windowStart) {
                    latency.add(now - opStart);
                    commitCall.add(commitNanos);
                    windowNanos = now - windowStart;
                }
            }
            return this;
        }

        /** One commit of this client's kind; answers how long the commit call itself took. */
        private long commitOnce() {
            List<Change> changes;
            if (kind == Kind.NEW_FILE) {
                byte[] bytes = new byte[SeedChunks.SIZE];
                ThreadLocalRandom.current().nextBytes(bytes);
                ChunkId id = ChunkHasher.hash(bytes);
                List<PresignedUrl> urls = service.planUploads(volume, List.of(new ChunkSpec(id, bytes.length)));
                if (urls.size() != 1) {
                    throw new ServiceBenchmarkException("A new chunk got " + urls.size() + " upload URLs, expected 1");
                }
                SeedChunks.put(transfer, urls, Map.of(id, bytes));
                changes = List.of(new Change(path(next), new Entry.File(bytes.length, SeedChunks.FILE_MODE, System.nanoTime(), List.of(id))));
            } else {
                changes = List.of(new Change(path(next), Entry.DELETED), new Change(path(next + 1), renamed));
            }
            next++;
            long start = System.nanoTime();
            baseSeq = service.commit(volume, proposal(changes));
            return System.nanoTime() - start;
        }

        private VolumePath path(int i) {
            return VolumePath.of(dir + "/f-" + i);
        }

        private CommitProposal proposal(List<Change> changes) {
            return new CommitProposal(baseSeq, UUID.randomUUID().toString(), "bench-" + dir, changes);
        }
    }
}
