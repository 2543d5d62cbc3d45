package dev.sail.volumes.benchmarks.service;

import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.client.HttpChunkTransfer;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.service.ServiceConfig;
import dev.sail.volumes.service.ServiceMetrics;
import dev.sail.volumes.service.VolumeOperations;
import dev.sail.volumes.service.VolumeServer;
import dev.sail.volumes.service.storage.S3ChunkStorage;
import dev.sail.volumes.service.storage.S3Settings;
import dev.sail.volumes.service.store.Org;
import dev.sail.volumes.service.store.RocksDbManifestStore;
import dev.sail.volumes.testkit.S3ServerFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The volume service's benchmarks (issue #3): small commits per second, stat/list/delta latency at two
 * volume sizes, and one commit of 10^5 changed paths with its breakdown. Run by {@code benchmarks/run-service}.
 *
 * <p>Phase 1 runs the real service ({@link VolumeServer}: RocksDB under a temporary directory, an
 * in-process S3 server with SigV4) and measures through HTTP with the guest's client; it also builds
 * the volumes, through the service. Phase 2 stops the server and opens the same RocksDB directly under
 * {@link VolumeOperations}, to measure the same operations without HTTP and JSON. The temporary
 * directory is deleted at the end. Prints a Markdown report and writes it to {@code --out}.
 */
public final class ServiceBenchmarkMain {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceBenchmarkMain.class);

    private final Options options;
    private final Random random = new Random(3);
    private final StringBuilder report = new StringBuilder();

    /** Command-line settings; see {@link #usage()}. */
    record Options(long largeFiles, long smallFiles, int commitFiles, Duration warmup, Duration measured, int samples,
                   Path out, Path workDir, Set<String> parts) {
        static final Set<String> PARTS = Set.of("small", "reads", "big");

        static Options parse(String[] args) {
            Map<String, String> values = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (!arg.startsWith("--")) {
                    throw new IllegalArgumentException("Unexpected argument '" + arg + "'\n" + usage());
                }
                int eq = arg.indexOf('=');
                if (eq > 0) {
                    values.put(arg.substring(2, eq), arg.substring(eq + 1));
                } else if (i + 1 < args.length) {
                    values.put(arg.substring(2), args[++i]);
                } else {
                    throw new IllegalArgumentException("Option " + arg + " needs a value\n" + usage());
                }
            }
            Options options = new Options(
                    Long.parseLong(values.getOrDefault("files", "1000000")),
                    Long.parseLong(values.getOrDefault("small-files", "10000")),
                    Integer.parseInt(values.getOrDefault("commit-files", "100000")),
                    Duration.ofMillis((long) (Double.parseDouble(values.getOrDefault("warmup-seconds", "1")) * 1000)),
                    Duration.ofMillis((long) (Double.parseDouble(values.getOrDefault("seconds", "3")) * 1000)),
                    Integer.parseInt(values.getOrDefault("samples", "1000")),
                    Path.of(values.getOrDefault("out", "service-benchmarks.md")),
                    Path.of(values.getOrDefault("work-dir", System.getProperty("java.io.tmpdir"))),
                    Set.of(values.getOrDefault("parts", "small,reads,big").split(",")));
            for (String key : values.keySet()) {
                if (!List.of("files", "small-files", "commit-files", "warmup-seconds", "seconds", "samples", "out", "work-dir", "parts")
                        .contains(key)) {
                    throw new IllegalArgumentException("Unknown option --" + key + "\n" + usage());
                }
            }
            if (!PARTS.containsAll(options.parts())) {
                throw new IllegalArgumentException("Unknown part in --parts " + options.parts() + ": choose among small, reads, big\n" + usage());
            }
            return options;
        }

        static String usage() {
            return """
                    usage: run-service [--files N] [--small-files N] [--commit-files N] [--seconds S] [--warmup-seconds S]
                                       [--samples N] [--out FILE] [--work-dir DIR] [--parts small,reads,big]
                      --files N          files in the large volume (default 1000000)
                      --small-files N    files in the small volume (default 10000)
                      --commit-files N   files per building commit, and in the big commit (default 100000)
                      --seconds S        measured time of each small-commit case (default 3)
                      --warmup-seconds S warm-up of each small-commit case (default 1)
                      --samples N        recorded reads of each kind per volume and driver (default 1000)
                      --out FILE         where the Markdown report goes (default service-benchmarks.md)
                      --work-dir DIR     where the temporary RocksDB goes (default java.io.tmpdir)
                      --parts LIST       which benchmarks run: small (commits/s), reads (latency), big (10^5-path commit)""";
        }
    }

    private ServiceBenchmarkMain(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws IOException {
        if (List.of(args).contains("--help")) {
            System.out.println(Options.usage());
            return;
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        String text = new ServiceBenchmarkMain(options).run();
        System.out.println(text);
        Files.writeString(options.out(), text, StandardCharsets.UTF_8);
        System.err.println("Report written to " + options.out().toAbsolutePath());
    }

    private String run() throws IOException {
        long begin = System.nanoTime();
        String loadBefore = loadAverage();
        boolean smallCommits = options.parts().contains("small");
        boolean readLatency = options.parts().contains("reads");
        boolean bigCommit = options.parts().contains("big");
        Path dataDir = Files.createTempDirectory(options.workDir(), "sail-service-bench-");
        Findings findings = new Findings();
        try (S3ServerFixture s3 = S3ServerFixture.startTransient(); HttpChunkTransfer transfer = new HttpChunkTransfer()) {
            S3Settings s3Settings = new S3Settings(Optional.of(s3.endpoint()), s3.region(), s3.bucket(), true,
                    Optional.of(new S3Settings.StaticKey(s3.accessKey(), s3.secretKey())), Duration.ofMinutes(10), true);
            List<PathVolume> volumes = new ArrayList<>();
            PathVolume largeVolume = null;
            SeedChunks seeds;
            // ---- phase 1: the real service, over HTTP ----
            ServiceConfig config = ServiceConfig.defaults(dataDir).withPort(0).withS3(s3Settings)
                    .withChunkLayout(ChunkLayout.STANDARD).withMaxBodyBytes(256L << 20).withGc(Duration.ZERO, Duration.ZERO);
            try (VolumeServer server = VolumeServer.start(config);
                 HttpServiceDriver http = new HttpServiceDriver(server.baseUrl(), server.defaultOrgKey())) {
                seeds = SeedChunks.upload(http, transfer);
                if (smallCommits) {
                    step(begin, "small commits over HTTP");
                    findings.small.addAll(new SmallCommits(http, transfer, seeds, options.warmup(), options.measured()).runAll());
                }
                if (readLatency) {
                    step(begin, "building a volume of " + options.smallFiles() + " files");
                    PathVolume smallVolume = PathVolume.build(http, seeds, "paths-small", options.smallFiles(), options.commitFiles(),
                            findings.buildSmall);
                    smallVolume.addProbeCommits(http, seeds, 20, 10, random);
                    volumes.add(smallVolume);
                }
                if (readLatency || bigCommit) {
                    step(begin, "building a volume of " + options.largeFiles() + " files");
                    largeVolume = PathVolume.build(http, seeds, "paths-large", options.largeFiles(), options.commitFiles(),
                            findings.buildLarge);
                    largeVolume.addProbeCommits(http, seeds, 20, 10, random);
                    volumes.add(largeVolume);
                }
                if (readLatency) {
                    step(begin, "read latency over HTTP");
                    findings.reads.addAll(measure(http, volumes));
                }
                if (bigCommit) {
                    step(begin, "a commit rewriting " + options.commitFiles() + " files over HTTP");
                    findings.bigCommits.put("http: rewrite " + options.commitFiles()
                            + " files of the large volume (`VolumeService.commit`, client encode included)",
                            timeCommit(http, largeVolume, seeds, 0, 1000));
                }
            }
            // ---- phase 2: the same store, in process ----
            step(begin, "reopening the store in process");
            try (RocksDbManifestStore store = RocksDbManifestStore.open(dataDir.resolve("manifests"));
                 S3ChunkStorage storage = new S3ChunkStorage(s3Settings)) {
                Org org = store.findOrg(VolumeServer.DEFAULT_ORG).orElseThrow(() ->
                        new ServiceBenchmarkException("The store has no org '" + VolumeServer.DEFAULT_ORG + "'"));
                VolumeOperations operations = new VolumeOperations(store, storage, new ServiceMetrics(), ChunkLayout.STANDARD,
                        Clock.systemUTC(), new ReentrantReadWriteLock());
                InProcessServiceDriver direct = new InProcessServiceDriver(operations, org);
                if (smallCommits) {
                    step(begin, "small commits in process");
                    findings.small.addAll(new SmallCommits(direct, transfer, seeds, options.warmup(), options.measured()).runAll());
                }
                if (readLatency) {
                    step(begin, "read latency in process");
                    findings.reads.addAll(measure(direct, volumes));
                }
                if (bigCommit) {
                    step(begin, "commits rewriting " + options.commitFiles() + " files in process");
                    int dirsPerCommit = options.commitFiles() / PathVolume.FILES_PER_DIR;
                    int from = Math.max(0, Math.min(largeVolume.dirs - dirsPerCommit, dirsPerCommit));
                    findings.phases = CommitBreakdown.measure(store, org, VolumeName.of(largeVolume.name), largeVolume.rewrite(
                            direct.head(largeVolume.name), seeds, from, Math.min(largeVolume.dirs, from + dirsPerCommit), 1001));
                    findings.bigCommits.put("in-process: rewrite " + options.commitFiles()
                            + " files of the large volume (`VolumeOperations.commit`)",
                            timeCommit(direct, largeVolume, seeds, 2 * dirsPerCommit, 1002));
                }
            }
            findings.dbBytes = treeSize(dataDir.resolve("manifests"));
        } finally {
            deleteTree(dataDir);
        }
        double totalSeconds = (System.nanoTime() - begin) / 1e9;
        write(findings, loadBefore, loadAverage(), totalSeconds);
        return report.toString();
    }

    /** What the run measured, gathered for the report. */
    private static final class Findings {
        final List<SmallCommits.Result> small = new ArrayList<>();
        final List<ReadLatency.Result> reads = new ArrayList<>();
        final List<Double> buildSmall = new ArrayList<>();
        final List<Double> buildLarge = new ArrayList<>();
        final Map<String, Double> bigCommits = new LinkedHashMap<>();
        CommitBreakdown.Phases phases;
        long dbBytes;
    }

    private List<ReadLatency.Result> measure(ServiceDriver driver, List<PathVolume> volumes) {
        return ReadLatency.measure(driver, volumes, Math.max(50, options.samples() / 5), options.samples(), random);
    }

    /** Seconds one commit rewriting {@code commitFiles} files (from directory {@code fromDir}) takes. */
    private double timeCommit(ServiceDriver driver, PathVolume volume, SeedChunks seeds, int fromDir, long mtime) {
        int dirs = options.commitFiles() / PathVolume.FILES_PER_DIR;
        int first = Math.max(0, Math.min(fromDir, volume.dirs - dirs));
        CommitProposal proposal = volume.rewrite(driver.head(volume.name), seeds, first, Math.min(volume.dirs, first + dirs), mtime);
        long start = System.nanoTime();
        driver.commit(volume.name, proposal);
        return (System.nanoTime() - start) / 1e9;
    }

    private static void step(long begin, String what) {
        LOG.info("[{} s] {}", String.format(Locale.ROOT, "%.0f", (System.nanoTime() - begin) / 1e9), what);
    }

    // ---- the report --------------------------------------------------------------------------

    private void write(Findings findings, String loadBefore, String loadAfter, double totalSeconds) {
        line("# Volume service benchmarks, " + Instant.now());
        line("");
        line(String.format(Locale.ROOT, "%d cores as the JVM sees them, %s, Java %s. Load average before: %s; after: %s. "
                        + "Whole run %.0f s. RocksDB at the end: %.0f MiB.", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"), System.getProperty("java.version"),
                loadBefore, loadAfter, totalSeconds, findings.dbBytes / 1048576.0));
        if (!findings.small.isEmpty()) {
            writeSmallCommits(findings.small);
        }
        if (!findings.reads.isEmpty()) {
            writeReads(findings.reads);
        }
        if (findings.phases != null) {
            writeBigCommits(findings);
        }
    }

    private void writeSmallCommits(List<SmallCommits.Result> small) {
        line("");
        line("## Small commits");
        line("");
        line(String.format(Locale.ROOT, "Each case: %.1f s warm-up, then %.1f s measured. Latency of one whole commit "
                + "(for a new file: plan + PUT + commit), and of the commit call alone.", options.warmup().toMillis() / 1e3,
                options.measured().toMillis() / 1e3));
        line("");
        line("| driver | commit | clients | commits/s | p50 ms | p99 ms | commit call p50 ms | commit call p99 ms |");
        line("|---|---|---|---:|---:|---:|---:|---:|");
        for (SmallCommits.Result r : small) {
            line(String.format(Locale.ROOT, "| %s | %s | %s | %.0f | %s | %s | %s | %s |", r.driver(), r.kind().label, r.spread().label,
                    r.perSecond(), LatencySamples.millis(r.latency().p50()), LatencySamples.millis(r.latency().p99()),
                    LatencySamples.millis(r.commitCall().p50()), LatencySamples.millis(r.commitCall().p99())));
        }
    }

    private void writeReads(List<ReadLatency.Result> reads) {
        line("");
        line("## Read latency against volume size");
        line("");
        line("Stat of a random file, the first page of 100 children of a random directory, the delta of one commit of 10 paths; "
                + "at the head; the volumes read in turn, " + options.samples() + " reads of each kind on each after a warm-up.");
        line("");
        line("| driver | files in volume | stat p50 / p99 ms | list p50 / p99 ms | delta p50 / p99 ms |");
        line("|---|---:|---:|---:|---:|");
        for (ReadLatency.Result r : reads) {
            line(String.format(Locale.ROOT, "| %s | %,d | %s / %s | %s / %s | %s / %s |", r.driver(), r.volume().files(),
                    LatencySamples.millis(r.stat().p50()), LatencySamples.millis(r.stat().p99()),
                    LatencySamples.millis(r.list().p50()), LatencySamples.millis(r.list().p99()),
                    LatencySamples.millis(r.delta().p50()), LatencySamples.millis(r.delta().p99())));
        }
        line("");
        line("Ratio large / small volume (goal: within 2×):");
        line("");
        line("| driver | stat p50 / p99 | list p50 / p99 | delta p50 / p99 |");
        line("|---|---:|---:|---:|");
        for (int i = 0; i + 1 < reads.size(); i += 2) {
            ReadLatency.Result s = reads.get(i);
            ReadLatency.Result l = reads.get(i + 1);
            line(String.format(Locale.ROOT, "| %s | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f |", s.driver(),
                    l.stat().p50() / s.stat().p50(), l.stat().p99() / s.stat().p99(),
                    l.list().p50() / s.list().p50(), l.list().p99() / s.list().p99(),
                    l.delta().p50() / s.delta().p50(), l.delta().p99() / s.delta().p99()));
        }
    }

    private void writeBigCommits(Findings findings) {
        CommitBreakdown.Phases phases = findings.phases;
        line("");
        line("## Big commits");
        line("");
        line(String.format(Locale.ROOT, "Building, over HTTP: the small volume in %s; the large one in %d commits of %,d new files: %s.",
                seconds(findings.buildSmall), findings.buildLarge.size(), options.commitFiles(), seconds(findings.buildLarge)));
        line("");
        line("| commit of " + String.format(Locale.ROOT, "%,d", options.commitFiles()) + " changed paths | seconds |");
        line("|---|---:|");
        findings.bigCommits.forEach((what, s) -> line(String.format(Locale.ROOT, "| %s | %.2f |", what, s)));
        line("");
        line(String.format(Locale.ROOT, "Breakdown of one more such commit in process (%,d paths, %,d writes), step by step:",
                phases.paths(), phases.writes()));
        line("");
        line("| step | seconds |");
        line("|---|---:|");
        row("client: encode the proposal as JSON", phases.encode());
        row("parse the JSON body", phases.parse());
        row("decode the changes and validate (entries, sort, duplicates)", phases.decode());
        row("  of which the proposal's own checks (sort, duplicates, nesting)", phases.validate());
        row("request hash (SHA-256 of the body bytes, for idempotency)", phases.requestHash());
        row("chunk check (layout of each file, registry lookup of each distinct chunk)", phases.chunkCheck());
        row("merge onto the head (`Merge.apply` reading RocksDB)", phases.merge());
        row("RocksDB write batch, synced", phases.write());
        row("**service total** (without the client's encoding)", phases.serviceTotal());
    }

    private void row(String what, double seconds) {
        line(String.format(Locale.ROOT, "| %s | %.3f |", what, seconds));
    }

    private static String seconds(List<Double> values) {
        if (values.isEmpty()) {
            return "nothing";
        }
        List<String> each = values.stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).toList();
        double sum = values.stream().mapToDouble(Double::doubleValue).sum();
        return values.size() == 1 ? each.getFirst() + " s" : String.join(", ", each) + " s (total " + String.format(Locale.ROOT, "%.1f", sum) + " s)";
    }

    private void line(String text) {
        report.append(text).append('\n');
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private static long treeSize(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(file -> {
                try {
                    return Files.size(file);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot measure " + dir, e);
        }
    }
}
