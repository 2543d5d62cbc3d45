package dev.sail.volumes.benchmarks.harness;

import dev.sail.volumes.client.control.CommitReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workloads over volumes of many files, built through the service API in big commits (4 KiB
 * files sharing one chunk, 1,000 per directory): {@code mount-time} (process start to the first
 * {@code ls} of the root), {@code noop-commit} (nothing dirty), {@code reload-delta} (one remote change
 * since the mount's base), and the warm {@code metadata} walks ({@code find}, {@code ls -lR}) against
 * the same tree in a local directory and in the peers' buckets.
 * Stateless; the harness runs workloads one at a time.
 */
final class Trees implements Workload {
    private static final Logger LOG = LoggerFactory.getLogger(Trees.class);
    private static final int NOOP_RUNS = 5;
    private static final int RELOAD_RUNS = 3;
    private static final int WALK_RUNS = 3;
    private static final int SLOW_WALK_SECONDS = 60;

    /** What one mount of one of our volumes measured. */
    private record OursFigures(Figure mount, Figure noop, Figure reload, Figure find, Figure lsR) {
    }

    @Override
    public String name() {
        return "trees";
    }

    @Override
    public List<String[]> rows() {
        return List.of(new String[] {"noop-commit", "ms"}, new String[] {"reload-delta", "ms"},
                new String[] {"mount-time", "s"}, new String[] {"metadata-find", "s"}, new String[] {"metadata-ls-lR", "s"});
    }

    @Override
    public List<Result> run(Testbed bed) {
        List<Integer> sizes = bed.scale().treeSizes();
        List<Integer> walked = bed.scale().metadataSizes();
        Map<Integer, OursFigures> ours = new LinkedHashMap<>();
        for (int size : sizes) {
            ours.put(size, ours(bed, size, walked.contains(size)));
        }
        List<Result> results = new ArrayList<>();
        int small = sizes.getFirst();
        int large = sizes.contains(100_000) ? 100_000 : sizes.getLast();
        results.add(Result.of("noop-commit", "ms", Result.Direction.LOWER_IS_BETTER, ours.get(large).noop(),
                ours.get(small).noop(), Map.of(), "commit with nothing dirty in a volume of " + Scale.count(large)
                        + " files (median of " + NOOP_RUNS + "); baseline = the same in a volume of " + Scale.count(small)
                        + " files (ratio 1 = flat); " + all(ours, OursFigures::noop, "ms") + "; goal < 50 ms; peers have no commit step"));
        int largest = sizes.getLast();
        results.add(Result.of("reload-delta", "ms", Result.Direction.LOWER_IS_BETTER, ours.get(largest).reload(),
                ours.get(small).reload(), Map.of(), "reload after one remote change in a volume of " + Scale.count(largest)
                        + " files (median of " + RELOAD_RUNS + "); baseline = the same in a volume of " + Scale.count(small)
                        + " files (goal: within 2x); " + all(ours, OursFigures::reload, "ms") + "; peers have no reload"));
        for (int size : sizes) {
            String suffix = " (" + Scale.count(size) + " files)";
            if (walked.contains(size)) {
                results.addAll(walks(bed, size, ours.get(size), suffix));
            } else {
                results.add(Result.of("mount-time" + suffix, "s", Result.Direction.LOWER_IS_BETTER, ours.get(size).mount(),
                        Figure.missing("peers are measured on the walked tree sizes only"), Map.of(),
                        "process start to the first ls of the root; ours includes the daemon's JVM start"));
            }
        }
        return results;
    }

    private static String all(Map<Integer, OursFigures> ours, java.util.function.Function<OursFigures, Figure> which, String unit) {
        List<String> parts = new ArrayList<>();
        ours.forEach((size, figures) -> {
            Figure figure = which.apply(figures);
            parts.add(Scale.count(size) + ": " + (figure.present() ? String.format(Locale.ROOT, "%.1f %s", figure.value(), unit) : "n/a"));
        });
        return "ours by size " + String.join(", ", parts);
    }

    private static OursFigures ours(Testbed bed, int size, boolean walk) {
        String volume = bed.newVolumeName("tree-" + size);
        try {
            bed.createVolume(volume);
            long start = System.nanoTime();
            bed.populateTree(volume, size);
            LOG.info("Built a volume of {} files through the API in {} s", size, String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9));
            try (OursMount mount = bed.mountOurs(volume, "jfuse")) {
                Figure mountTime = Figure.measure("ours mount", () -> {
                    Shell.timedQuiet(List.of("ls", mount.path().toString()));
                    return Figure.of((System.nanoTime() - mount.process().startedNanos()) / 1e9);
                });
                Figure find = Figure.missing("not walked at this size");
                Figure lsR = Figure.missing("not walked at this size");
                if (walk) {
                    find = Figure.measure("ours find", () -> walk(List.of("find", mount.path().toString())));
                    lsR = Figure.measure("ours ls -lR", () -> walk(List.of("ls", "-lR", mount.path().toString())));
                }
                Figure noop = Figure.measure("ours noop commit", () -> {
                    double[] ms = new double[NOOP_RUNS];
                    for (int i = 0; i < NOOP_RUNS; i++) {
                        long t = System.nanoTime();
                        CommitReport report = mount.volume().commitReport();
                        ms[i] = (System.nanoTime() - t) / 1e6;
                        if (!report.nothingToCommit()) {
                            throw new HarnessException("a commit with nothing dirty changed " + report.filesChanged() + " paths");
                        }
                    }
                    return Figure.of(median(ms));
                });
                Figure reload = Figure.measure("ours reload", () -> {
                    double[] ms = new double[RELOAD_RUNS];
                    for (int i = 0; i < RELOAD_RUNS; i++) {
                        bed.putFile(volume, "d0000/remote-change-" + i, 8_000_000L + i, 4096);
                        long t = System.nanoTime();
                        mount.volume().reload();
                        ms[i] = (System.nanoTime() - t) / 1e6;
                    }
                    if (!java.nio.file.Files.exists(mount.path().resolve("d0000/remote-change-" + (RELOAD_RUNS - 1)))) {
                        throw new HarnessException("the reloaded mount does not show the remote change");
                    }
                    return Figure.of(median(ms));
                });
                return new OursFigures(mountTime, noop, reload, find, lsR);
            }
        } catch (Exception | LinkageError e) {
            Figure failed = Figure.failed("ours (" + Scale.count(size) + " files)", e);
            return new OursFigures(failed, failed, failed, failed, failed);
        } finally {
            bed.dropVolume(volume);
        }
    }

    /**
     * A warm walk: once to warm every cache, then the best of {@value #WALK_RUNS}. A walk whose warm-up
     * took over {@value #SLOW_WALK_SECONDS} s runs once more only: s3fs needs about 15 minutes for an
     * {@code ls -lR} of 10^5 files here, and two more runs would sharpen nothing that matters.
     */
    private static Figure walk(List<String> command) {
        if (Shell.timedQuiet(command) > SLOW_WALK_SECONDS) {
            return Figure.of(Shell.timedQuiet(command), "a slow walk: timed once after the warm-up");
        }
        return Figure.of(Shell.bestOf(WALK_RUNS, command));
    }

    private List<Result> walks(Testbed bed, int size, OursFigures ours, String suffix) {
        Figure localFind;
        Figure localLs;
        Path local = bed.scratch("local-tree");
        try {
            bed.writeLocalTree(local, size);
            localFind = Figure.measure("local find", () -> walk(List.of("find", local.toString())));
            localLs = Figure.measure("local ls -lR", () -> walk(List.of("ls", "-lR", local.toString())));
        } catch (Exception e) {
            localFind = Figure.failed("local tree", e);
            localLs = localFind;
        } finally {
            Shell.deleteTree(local);
        }
        Map<String, Map<String, Figure>> peers = PeerRuns.run(bed, "tree-" + size, new String[] {"mount", "find", "ls"},
                bucket -> bed.writeBucketTree(bucket, size),
                (peer, bucket, mount) -> {
                    Shell.timedQuiet(List.of("ls", mount.mountpoint().toString()));
                    Figure mountTime = Figure.of((System.nanoTime() - mount.startedNanos()) / 1e9);
                    return Map.of("mount", mountTime,
                            "find", Figure.measure(peer.name() + " find", () -> walk(List.of("find", mount.mountpoint().toString()))),
                            "ls", Figure.measure(peer.name() + " ls -lR", () -> walk(List.of("ls", "-lR", mount.mountpoint().toString()))));
                });
        String tree = Scale.count(size) + " files of 4 KiB, 1,000 per directory";
        return List.of(
                Result.of("mount-time" + suffix, "s", Result.Direction.LOWER_IS_BETTER, ours.mount(),
                        PeerRuns.better(peers.get("mount"), Result.Direction.LOWER_IS_BETTER), peers.get("mount"),
                        "process start to the first ls of the root; ours includes the daemon's JVM start; baseline = the better peer"),
                Result.of("metadata-find" + suffix, "s", Result.Direction.LOWER_IS_BETTER, ours.find(), localFind, peers.get("find"),
                        "warm find over " + tree + " (best of " + WALK_RUNS + " after one warm-up); baseline = a local directory"),
                Result.of("metadata-ls-lR" + suffix, "s", Result.Direction.LOWER_IS_BETTER, ours.lsR(), localLs, peers.get("ls"),
                        "warm ls -lR over " + tree + " (best of " + WALK_RUNS + " after one warm-up); baseline = a local directory"));
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
