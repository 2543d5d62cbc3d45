package dev.sail.volumes.benchmarks.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code benchmarks/run [--quick] [--out DIR] [--only W1,W2] [--no-peers]}: runs every workload against ours, its
 * baseline and the peers, and writes {@code DIR/results.json}, {@code results.md} and
 * {@code results.png} (rewritten after each workload, so an interrupted run keeps what it measured).
 * Every mount, process and file it made is removed at the end, also on failure or Ctrl-C.
 * Runs the workloads one after another on the main thread.
 */
public final class BenchmarkMain {
    private static final Logger LOG = LoggerFactory.getLogger(BenchmarkMain.class);

    private BenchmarkMain() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(".");
        Path out = null;
        Scale scale = Scale.full();
        Set<String> only = Set.of();
        boolean peers = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> scale = Scale.quick();
                case "--out" -> out = Path.of(value(args, ++i, "--out"));
                case "--root" -> root = Path.of(value(args, ++i, "--root"));
                case "--only" -> only = Set.copyOf(Arrays.asList(value(args, ++i, "--only").split(",")));
                case "--no-peers" -> peers = false;
                case "-h", "--help" -> {
                    System.out.println("usage: benchmarks/run [--quick] [--out DIR] [--no-peers] [--only " + String.join(",", names(workloads())) + "]");
                    return;
                }
                default -> {
                    System.err.println("benchmarks/run: unknown option '" + args[i] + "' (try --help)");
                    System.exit(2);
                }
            }
        }
        out = (out != null ? out : root.resolve("benchmarks/target/results")).toAbsolutePath().normalize();
        List<Workload> selected = new ArrayList<>();
        for (Workload workload : workloads()) {
            if (only.isEmpty() || only.contains(workload.name())) {
                selected.add(workload);
            }
        }
        if (selected.isEmpty()) {
            System.err.println("benchmarks/run: --only names no workload; choose from " + names(workloads()));
            System.exit(2);
        }
        System.exit(run(scale, out, selected, peers, root, String.join(" ", args).replace("--root " + root, "").strip()));
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            System.err.println("benchmarks/run: " + option + " needs a value");
            System.exit(2);
        }
        return args[i];
    }

    static List<Workload> workloads() {
        return List.of(new CommitThroughput(), new IncrementalCommit(), new SmallFiles(), new Trees(), new FileIo());
    }

    private static List<String> names(List<Workload> workloads) {
        return workloads.stream().map(Workload::name).toList();
    }

    private static int run(Scale scale, Path out, List<Workload> workloads, boolean peers, Path root, String options)
            throws IOException {
        Path work = Files.createTempDirectory("sail-bench-");
        Instant started = Instant.now();
        LOG.info("Benchmarks ({} run), results to {}, scratch in {}", scale.name(), out, work);
        Testbed bed;
        try {
            bed = Testbed.start(scale, work, peers, root);
        } catch (RuntimeException e) {
            Shell.deleteTree(work);
            throw e;
        }
        bed.warmUp();
        Thread cleanup = new Thread(() -> {
            FuseProcess.closeAll();
            bed.abandon();
        }, "benchmarks-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        String header = header(scale, options);
        List<Result> results = new ArrayList<>();
        try {
            for (Workload workload : workloads) {
                LOG.info("Workload {}", workload.name());
                long start = System.nanoTime();
                try {
                    results.addAll(workload.run(bed));
                } catch (Exception | LinkageError e) {
                    LOG.warn("Workload {} failed: {}", workload.name(), e.toString(), e);
                    for (String[] row : workload.rows()) {
                        results.add(Result.failed(row[0], row[1], bed.peerNames(), "the workload failed: " + Figure.oneLine(e)));
                    }
                } finally {
                    FuseProcess.closeAll();
                }
                LOG.info("Workload {} took {} s", workload.name(), String.format(Locale.ROOT, "%.0f", (System.nanoTime() - start) / 1e9));
                ResultsWriter.write(out, results, bed.peerNames(), header + "\n\nTook "
                        + ChronoUnit.SECONDS.between(started, Instant.now()) + " s.");
            }
        } finally {
            FuseProcess.closeAll();
            bed.close();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // Already shutting down: the hook cleans up (again, harmlessly).
            }
        }
        LOG.info("Done in {} s: {}", ChronoUnit.SECONDS.between(started, Instant.now()), out.resolve("results.md"));
        System.out.print(Files.readString(out.resolve("results.md")));
        return 0;
    }

    /** The machine, the software and the command, for the top of results.md. */
    static String header(Scale scale, String options) {
        String cpu = firstMatch("/proc/cpuinfo", "model name").orElse("unknown CPU");
        String memory = firstMatch("/proc/meminfo", "MemTotal").map(m -> {
            long kib = Long.parseLong(m.replaceAll("[^0-9]", ""));
            return String.format(Locale.ROOT, "%.0f GiB", kib / 1024.0 / 1024.0);
        }).orElse("unknown memory");
        String rclone = Shell.firstLine(Shell.run(List.of("sh", "-c", "rclone version 2>/dev/null")).output()).orElse("rclone not installed");
        String s3fs = Shell.firstLine(Shell.run(List.of("sh", "-c", "s3fs --version 2>/dev/null")).output()).orElse("s3fs not installed");
        String kernel = Shell.run(List.of("uname", "-r")).output().strip();
        return "Sail Volumes benchmarks (" + scale.name() + " run, " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + ")\n\n"
                + "Machine: " + Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), " + memory + " RAM, Linux "
                + kernel + "; Java " + Runtime.version() + "; " + rclone + "; " + s3fs.replaceAll("\\s*\\(commit.*", "") + ".\n"
                + "S3: S3Proxy in memory on 127.0.0.1 (one server for ours, the baselines and the peers).\n"
                + "Command: `benchmarks/run " + options + "`. Ratio = ours / baseline, oriented so that higher is better for ours.";
    }

    private static java.util.Optional<String> firstMatch(String file, String key) {
        try {
            return Files.readAllLines(Path.of(file)).stream().filter(l -> l.startsWith(key))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst();
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }
}
