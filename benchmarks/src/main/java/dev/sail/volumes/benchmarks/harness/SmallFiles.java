package dev.sail.volumes.benchmarks.harness;

import dev.sail.volumes.client.control.CommitReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code small-files}: files of 4 KiB (distinct contents, 1,000 per directory) written and committed;
 * files per second from the first write until S3 has them all (ours: write + commit). The baseline is
 * the better peer.
 * Stateless; the harness runs workloads one at a time.
 */
final class SmallFiles implements Workload {
    static final String NAME = "small-files";
    static final int SIZE = 4096;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String[]> rows() {
        return List.<String[]>of(new String[] {NAME, "files/s"});
    }

    @Override
    public List<Result> run(Testbed bed) {
        int count = bed.scale().smallFiles();
        Figure ours = Figure.measure("ours", () -> ours(bed, count));
        Map<String, Figure> peers = PeerRuns.run(bed, NAME, new String[] {"rate"}, bucket -> { }, (peer, bucket, mount) -> {
            long stream = 7_000_000L + (long) peer.name().hashCode() * 100_000L;
            long start = System.nanoTime();
            Map<String, Long> expected = write(bed, mount.mountpoint(), count, stream);
            long written = System.nanoTime();
            long done = Testbed.awaitCondition(peer.name() + " to upload " + count + " files",
                    () -> bed.objectsPresent(bucket, expected), Duration.ofMinutes(20));
            return Map.of("rate", Figure.of(count / ((done - start) / 1e9), String.format(Locale.ROOT,
                    "write %.1f s + upload after close %.1f s", (written - start) / 1e9, (done - written) / 1e9)));
        }).get("rate");
        return List.of(Result.of(NAME, "files/s", Result.Direction.HIGHER_IS_BETTER, ours,
                PeerRuns.better(peers, Result.Direction.HIGHER_IS_BETTER), peers,
                count + " files of 4 KiB in directories of 1,000; first write until S3 holds them all (ours: write + commit); "
                        + "baseline = the better peer"));
    }

    private static Figure ours(Testbed bed, int count) throws Exception {
        String volume = bed.newVolumeName(NAME);
        try (OursMount mount = bed.mountOurs(volume, "jfuse")) {
            long start = System.nanoTime();
            write(bed, mount.path(), count, 6_000_000L);
            long written = System.nanoTime();
            CommitReport report = mount.volume().commitReport();
            long done = System.nanoTime();
            String note = String.format(Locale.ROOT, "write %.1f s, commit %.1f s (%d files, %d chunks uploaded)",
                    (written - start) / 1e9, (done - written) / 1e9, report.filesChanged(), report.chunksUploaded());
            return Figure.of(count / ((done - start) / 1e9), note);
        } finally {
            bed.dropVolume(volume);
        }
    }

    /** Writes the files under {@code root}; answers key → size as S3 will show them. */
    private static Map<String, Long> write(Testbed bed, Path root, int count, long stream) throws IOException {
        Map<String, Long> expected = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String path = Testbed.treePath(i);
            Path file = root.resolve(path);
            if (i % 1000 == 0) {
                Files.createDirectories(file.getParent());
            }
            Files.write(file, bed.data().small(stream + i, SIZE));
            expected.put(path, (long) SIZE);
        }
        return expected;
    }
}
