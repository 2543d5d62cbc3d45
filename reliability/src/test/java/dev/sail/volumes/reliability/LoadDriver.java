package dev.sail.volumes.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sail.volumes.client.CommitResult;
import dev.sail.volumes.client.HttpChunkTransfer;
import dev.sail.volumes.client.HttpVolumeService;
import dev.sail.volumes.client.Page;
import dev.sail.volumes.client.ServiceUnavailableException;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import dev.sail.volumes.testkit.ServiceFixture;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Simulated guests against one service: each a thread with its own {@code HttpVolumeService} and
 * {@link HttpChunkTransfer}, committing files through the real commit path (plan, upload, commit) and
 * reloading (deltas from its last seen sequence to the head). Most writes go to the client's own paths,
 * a fifth to a few shared paths. A commit that fails because the service is unavailable is retried with
 * the same idempotency key until it is acknowledged (how a guest recovers by itself). Bounded by a
 * deadline and a commit count per client. {@link #verify()} then checks the final state against every
 * acknowledged commit.
 */
final class LoadDriver {
    /** One acknowledged commit: its answer and what it wrote. */
    record Accepted(String key, CommitResult result, Map<VolumePath, Entry.File> writes, Map<VolumePath, byte[]> bytes) {
    }

    /** The figures of a run. */
    record Figures(int clients, Duration elapsed, int commits, int reloads, long retried, long replayed, long errors,
                   double commitsPerSecond, long commitP50Millis, long commitP99Millis, long reloadP50Millis, long reloadP99Millis,
                   long reloadedPaths, long timeouts) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d clients, %.1f s: %d commits (%.1f commits/s), commit latency p50 %d ms, p99 %d ms; "
                            + "%d reloads (p50 %d ms, p99 %d ms, %d paths moved); %d commits retried after unavailability "
                            + "(%d answered as replays, %d requests unanswered within the client's timeout); %d errors",
                    clients, elapsed.toMillis() / 1000.0, commits, commitsPerSecond, commitP50Millis, commitP99Millis, reloads,
                    reloadP50Millis, reloadP99Millis, reloadedPaths, retried, replayed, timeouts, errors);
        }
    }

    private final ServiceFixture service;
    private final VolumeName volume;
    private final int clients;
    private final Duration duration;
    private final int maxCommitsPerClient;
    private final Duration requestTimeout;
    private final List<Accepted> accepted = new CopyOnWriteArrayList<>();
    private final List<Long> commitNanos = Collections.synchronizedList(new ArrayList<>());
    private final List<Long> reloadNanos = Collections.synchronizedList(new ArrayList<>());
    private final Map<Integer, Instant> lastSuccess = new ConcurrentHashMap<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong timeouts = new AtomicLong();
    private final AtomicLong replayed = new AtomicLong();
    private final AtomicLong reloadedPaths = new AtomicLong();
    private final AtomicInteger reloads = new AtomicInteger();

    /** {@code requestTimeout}: how long a client waits for one answer before it retries (the client's default is 120 s). */
    LoadDriver(ServiceFixture service, VolumeName volume, int clients, Duration duration, int maxCommitsPerClient,
               Duration requestTimeout) {
        this.requestTimeout = requestTimeout;
        this.service = service;
        this.volume = volume;
        this.clients = clients;
        this.duration = duration;
        this.maxCommitsPerClient = maxCommitsPerClient;
    }

    /** Runs every client until the deadline or its commit count; answers the figures. */
    Figures run() throws Exception {
        service.client().createVolumeIfMissing(volume);
        Instant started = Instant.now();
        Instant deadline = started.plus(duration);
        List<Future<?>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            for (int c = 0; c < clients; c++) {
                int client = c;
                futures.add(pool.submit(() -> {
                    runClient(client, deadline);
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get(duration.toSeconds() + 120, TimeUnit.SECONDS);
            }
        }
        Duration elapsed = Duration.between(started, Instant.now());
        List<Long> commitsSorted = sorted(commitNanos);
        List<Long> reloadsSorted = sorted(reloadNanos);
        return new Figures(clients, elapsed, accepted.size(), reloads.get(), retried.get(), replayed.get(), errors.size(),
                accepted.size() / (elapsed.toMillis() / 1000.0), percentile(commitsSorted, 50), percentile(commitsSorted, 99),
                percentile(reloadsSorted, 50), percentile(reloadsSorted, 99), reloadedPaths.get(), timeouts.get());
    }

    /** When each client last had a commit acknowledged. */
    Map<Integer, Instant> lastSuccess() {
        return Map.copyOf(lastSuccess);
    }

    /** Commits acknowledged so far. */
    int acknowledged() {
        return accepted.size();
    }

    List<Throwable> errors() {
        return List.copyOf(errors);
    }

    private void runClient(int client, Instant deadline) {
        Random random = new Random(client);
        try (HttpVolumeService api = new HttpVolumeService(service.baseUrl(), service.apiKey(), requestTimeout);
             HttpChunkTransfer transfer = new HttpChunkTransfer(2, 5, Duration.ofMillis(50), Duration.ofSeconds(30))) {
            ClientCommits commits = new ClientCommits(api, transfer, ClientCommits.SMALL);
            long seen = 0;
            for (int n = 0; n < maxCommitsPerClient && Instant.now().isBefore(deadline); n++) {
                try {
                    if (n % 4 == 3) {
                        seen = reload(api, seen);
                        continue;
                    }
                    Map<VolumePath, byte[]> files = new LinkedHashMap<>();
                    int paths = 1 + random.nextInt(3);
                    for (int p = 0; p < paths; p++) {
                        VolumePath path = random.nextInt(5) == 0 ? VolumePath.of("shared/s" + random.nextInt(4))
                                : VolumePath.of("c" + client + "/f" + random.nextInt(16));
                        byte[] content = new byte[100 + random.nextInt(6000)];
                        random.nextBytes(content);
                        files.put(path, content);
                    }
                    String key = "c" + client + "-" + n;
                    long start = System.nanoTime();
                    CommitResult result = commitUntilAcknowledged(commits, key, files, deadline.plusSeconds(60));
                    commitNanos.add(System.nanoTime() - start);
                    Map<VolumePath, Entry.File> writes = new HashMap<>();
                    files.forEach((path, bytes) -> writes.put(path, commits.chunk(bytes).entry()));
                    accepted.add(new Accepted(key, result, writes, files));
                    lastSuccess.put(client, Instant.now());
                } catch (Exception | AssertionError e) {
                    errors.add(e);
                }
            }
        }
    }

    private CommitResult commitUntilAcknowledged(ClientCommits commits, String key, Map<VolumePath, byte[]> files, Instant giveUp)
            throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                CommitResult result = commits.commit(volume, 0, key, files);
                if (attempt > 1 && result.replayed()) {
                    replayed.incrementAndGet();
                }
                return result;
            } catch (ServiceUnavailableException e) {
                if (Instant.now().isAfter(giveUp)) {
                    throw e;
                }
                countTimeout(e);
                retried.incrementAndGet();
            }
        }
    }

    private long reload(VolumeService api, long seen) {
        long start = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            try {
                long head = api.findVolume(volume).orElseThrow().headSeq();
                String after = null;
                do {
                    Page<Versioned> page = api.delta(volume, seen, head, after, 1000);
                    for (Versioned v : page.items()) {
                        assertThat(v.seq()).as("a delta names versions in its range").isGreaterThan(seen).isLessThanOrEqualTo(head);
                    }
                    reloadedPaths.addAndGet(page.items().size());
                    after = page.next().orElse(null);
                } while (after != null);
                reloadNanos.add(System.nanoTime() - start);
                reloads.incrementAndGet();
                return head;
            } catch (ServiceUnavailableException e) {
                if (attempt >= 20) {
                    throw e;
                }
                countTimeout(e);
            }
        }
    }

    private void countTimeout(ServiceUnavailableException e) {
        if (String.valueOf(e.getMessage()).contains("HttpTimeoutException")) {
            timeouts.incrementAndGet();
        }
    }

    /**
     * The final state of every path equals the write of the acknowledged commit with the highest
     * sequence; every acknowledged commit is in the history under its sequence and id; and the volume
     * holds exactly one commit per acknowledged idempotency key.
     */
    void verify(RawApi raw, String apiKey) throws IOException {
        VolumeService api = service.client();
        long head = api.findVolume(volume).orElseThrow().headSeq();
        Set<String> keys = new HashSet<>();
        Set<Long> seqs = new HashSet<>();
        Map<VolumePath, Accepted> last = new HashMap<>();
        for (Accepted a : accepted) {
            assertThat(keys.add(a.key())).as("key %s acknowledged once", a.key()).isTrue();
            assertThat(seqs.add(a.result().seq())).as("sequence %d given to one commit", a.result().seq()).isTrue();
            for (VolumePath path : a.writes().keySet()) {
                last.merge(path, a, (x, y) -> x.result().seq() > y.result().seq() ? x : y);
            }
        }
        assertThat(head).as("one commit per acknowledged key, no more").isEqualTo(accepted.size());
        for (Map.Entry<VolumePath, Accepted> e : last.entrySet()) {
            Versioned now = api.stat(volume, e.getKey(), head).orElseThrow();
            assertThat(now.entry()).as("%s holds the write of commit %d", e.getKey(), e.getValue().result().seq())
                    .isEqualTo(e.getValue().writes().get(e.getKey()));
            assertThat(now.seq()).isEqualTo(e.getValue().result().seq());
        }
        Map<Long, String> history = new HashMap<>();
        String before = "";
        while (true) {
            RawApi.Response page = raw.call("GET", "/v1/volumes/" + volume.value() + "/commits?limit=1000" + before, apiKey, (String) null);
            assertThat(page.status()).as(page.text()).isEqualTo(200);
            long lowest = Long.MAX_VALUE;
            for (JsonNode commit : page.json().path("commits")) {
                history.put(commit.path("seq").asLong(), commit.path("commit").asText());
                lowest = Math.min(lowest, commit.path("seq").asLong());
            }
            if (page.json().path("commits").isEmpty() || lowest <= 1) {
                break;
            }
            before = "&before=" + lowest;
        }
        for (Accepted a : accepted) {
            assertThat(history.get(a.result().seq())).as("commit %d in the history", a.result().seq()).isEqualTo(a.result().commit());
        }
    }

    /** Reads back the bytes of up to {@code sample} final paths through presigned GETs. */
    void verifyBytes(int sample) throws IOException {
        VolumeService api = service.client();
        long head = api.findVolume(volume).orElseThrow().headSeq();
        Map<VolumePath, Accepted> last = new HashMap<>();
        for (Accepted a : accepted) {
            for (VolumePath path : a.writes().keySet()) {
                last.merge(path, a, (x, y) -> x.result().seq() > y.result().seq() ? x : y);
            }
        }
        try (HttpChunkTransfer transfer = new HttpChunkTransfer()) {
            ClientCommits reader = new ClientCommits(api, transfer, ClientCommits.SMALL);
            last.entrySet().stream().limit(sample).forEach(e -> {
                try {
                    assertThat(reader.read(volume, e.getKey(), head)).as("bytes of %s", e.getKey())
                            .isEqualTo(e.getValue().bytes().get(e.getKey()));
                } catch (IOException ex) {
                    throw new java.io.UncheckedIOException(ex);
                }
            });
        }
    }

    private static List<Long> sorted(List<Long> values) {
        synchronized (values) {
            List<Long> copy = new ArrayList<>(values);
            Collections.sort(copy);
            return copy;
        }
    }

    private static long percentile(List<Long> sortedNanos, int p) {
        if (sortedNanos.isEmpty()) {
            return 0;
        }
        int index = (int) Math.ceil(p / 100.0 * sortedNanos.size()) - 1;
        return TimeUnit.NANOSECONDS.toMillis(sortedNanos.get(Math.max(0, index)));
    }
}
