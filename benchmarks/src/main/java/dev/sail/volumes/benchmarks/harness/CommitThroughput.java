package dev.sail.volumes.benchmarks.harness;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.manifest.VolumeName;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code commit-throughput}: new data in files of 64 MiB, written through the mount then committed.
 * Ours is the commit (what the user waits for after writing), the better of two rounds; the baseline is the same number of new
 * chunk bytes PUT through presigned URLs with the daemon's concurrency (8), straight to S3; the peers
 * are timed from the first write until S3 holds every file (they upload while and after writing).
 * Stateless; the harness runs workloads one at a time.
 */
final class CommitThroughput implements Workload {
    static final String NAME = "commit-throughput";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String[]> rows() {
        return List.<String[]>of(new String[] {NAME, "MiB/s"});
    }

    @Override
    public List<Result> run(Testbed bed) {
        long total = bed.scale().commitBytes();
        long fileSize = bed.scale().commitFileBytes();
        int files = (int) (total / fileSize);
        double mib = total / (double) Scale.MIB;
        Figure ours = Figure.measure("ours", () -> ours(bed, files, fileSize, mib));
        Figure baseline = Figure.measure("baseline", () -> best(baseline(bed, files, fileSize, mib, 3_000_000L),
                baseline(bed, files, fileSize, mib, 3_500_000L)));
        Map<String, Figure> peers = PeerRuns.run(bed, NAME, new String[] {"rate"}, bucket -> { }, (peer, bucket, mount) -> {
            Map<String, Long> expected = new LinkedHashMap<>();
            long stream = 2_000_000L + peer.name().hashCode() * 1000L;
            long start = System.nanoTime();
            for (int i = 0; i < files; i++) {
                String name = String.format("file-%02d", i);
                bed.data().writeFile(mount.mountpoint().resolve(name), stream + i, fileSize);
                expected.put(name, fileSize);
            }
            long written = System.nanoTime();
            long done = Testbed.awaitCondition(peer.name() + " to upload " + files + " files",
                    () -> bed.objectsPresent(bucket, expected), Duration.ofMinutes(15));
            return Map.of("rate", Figure.of(mib / ((done - start) / 1e9), String.format(Locale.ROOT,
                    "write %.1f s + upload after close %.1f s", (written - start) / 1e9, (done - written) / 1e9)));
        }).get("rate");
        return List.of(Result.of(NAME, "MiB/s", Result.Direction.HIGHER_IS_BETTER, ours, baseline, peers,
                files + " files of " + Scale.bytes(fileSize) + "; ours = the commit after writing; peers = first write until S3 holds every file"));
    }

    /**
     * Two rounds on one mount, each writing new files then committing them; the better round counts, as
     * the baseline's better run does (a user's daemon is long-lived: its first commit's warm-up is not the
     * steady state).
     */
    private static Figure ours(Testbed bed, int files, long fileSize, double mib) throws Exception {
        String volume = bed.newVolumeName(NAME);
        try (OursMount mount = bed.mountOurs(volume, "jfuse")) {
            return best(ourRound(bed, mount, 1_000_000L, files, fileSize, mib), ourRound(bed, mount, 1_500_000L, files, fileSize, mib));
        } finally {
            bed.dropVolume(volume);
        }
    }

    private static Figure ourRound(Testbed bed, OursMount mount, long stream, int files, long fileSize, double mib) throws Exception {
        long start = System.nanoTime();
        for (int i = 0; i < files; i++) {
            bed.data().writeFile(mount.path().resolve(String.format("file-%d-%02d", stream, i)), stream + i, fileSize);
        }
        long written = System.nanoTime();
        CommitReport report = mount.volume().commitReport();
        long committed = System.nanoTime();
        double commitSeconds = (committed - written) / 1e9;
        String note = String.format(Locale.ROOT, "write %.1f s (%.0f MiB/s), commit %.2f s, %d chunks uploaded (%s), end to end %.0f MiB/s",
                (written - start) / 1e9, mib / ((written - start) / 1e9), commitSeconds, report.chunksUploaded(),
                Scale.bytes(report.bytesUploaded()), mib / ((committed - start) / 1e9));
        if (report.bytesUploaded() != (long) files * fileSize) {
            note += "; expected " + Scale.bytes((long) files * fileSize) + " uploaded";
        }
        return Figure.of(mib / commitSeconds, note);
    }

    /** The better of two runs of the baseline: it should be the best that this S3 server can do. */
    static Figure best(Figure a, Figure b) {
        return a.value() >= b.value() ? Figure.of(a.value(), a.note() + ", best of 2") : Figure.of(b.value(), b.note() + ", best of 2");
    }

    /**
     * The same amount of new bytes, in 8 MiB chunks, PUT through the presigned URLs the service hands
     * out, 8 in flight (the daemon's bound), by the raw client; the bytes are made before the clock starts.
     */
    private static Figure baseline(Testbed bed, int files, long fileSize, double mib, long stream) throws Exception {
        String volume = bed.newVolumeName(NAME + "-baseline");
        bed.createVolume(volume);
        try {
            int chunksPerFile = (int) (fileSize / TestData.BLOCK);
            List<ChunkSpec> specs = new ArrayList<>();
            Map<ChunkId, long[]> where = new HashMap<>();
            for (int f = 0; f < files; f++) {
                for (int c = 0; c < chunksPerFile; c++) {
                    ChunkId id = ChunkHasher.hash(bed.data().chunk(stream + f, c, TestData.BLOCK));
                    specs.add(new ChunkSpec(id, TestData.BLOCK));
                    where.put(id, new long[] {stream + f, c});
                }
            }
            Map<ChunkId, byte[]> bytes = new HashMap<>();
            for (Map.Entry<ChunkId, long[]> chunk : where.entrySet()) {
                ByteBuffer buffer = bed.data().chunk(chunk.getValue()[0], chunk.getValue()[1], TestData.BLOCK);
                byte[] array = new byte[buffer.remaining()];
                buffer.get(array);
                bytes.put(chunk.getKey(), array);
            }
            long start = System.nanoTime();
            UploadPlan plan = bed.service().planUploads(VolumeName.of(volume), specs);
            double planned = (System.nanoTime() - start) / 1e9;
            RawTransfer.putAll(plan.uploads(), bytes, 8);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (plan.uploads().size() != specs.size()) {
                throw new HarnessException("the service already had " + (specs.size() - plan.uploads().size()) + " of the baseline's chunks");
            }
            return Figure.of(mib / seconds, String.format(Locale.ROOT, "%d raw chunk PUTs in %.2f s (plan %.3f s included)",
                    plan.uploads().size(), seconds, planned));
        } finally {
            bed.dropVolume(volume);
        }
    }
}
