package dev.sail.volumes.benchmarks.harness;

import dev.sail.volumes.client.control.CommitReport;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code incremental-commit}: one byte changed in the middle of each of 8 large files already in the
 * volume (bucket), then committed (synced). Two rows: the bytes written to S3 for it, counted at the S3
 * server (uploads plus server-side copies), and the time from the first change until S3 has it all.
 * The baseline of both rows is the better peer.
 * Stateless; the harness runs workloads one at a time.
 */
final class IncrementalCommit implements Workload {
    static final String NAME = "incremental-commit";
    static final String TIME = "incremental-commit-time";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String[]> rows() {
        return List.of(new String[] {NAME, "MiB written to S3"}, new String[] {TIME, "s"});
    }

    @Override
    public List<Result> run(Testbed bed) {
        int files = bed.scale().incrementalFiles();
        long size = bed.scale().incrementalFileBytes();
        Figure[] ours = oursFigures(bed, files, size);
        Map<String, Map<String, Figure>> peers = PeerRuns.run(bed, NAME, new String[] {"bytes", "time"},
                bucket -> {
                    for (int i = 0; i < files; i++) {
                        bed.s3().putObject(bucket, name(i), size, bed.data().inputStream(5_000_000L + i, size));
                    }
                },
                (peer, bucket, mount) -> {
                    Map<String, String> etags = new HashMap<>();
                    for (int i = 0; i < files; i++) {
                        etags.put(name(i), bed.s3().head(bucket, name(i)).orElseThrow().eTag());
                    }
                    bed.s3().resetCounters();
                    long start = System.nanoTime();
                    changeOneByte(mount.mountpoint(), files, size);
                    long changed = System.nanoTime();
                    long done = Testbed.awaitCondition(peer.name() + " to upload the changed files", () -> etags.entrySet().stream()
                            .allMatch(e -> bed.s3().head(bucket, e.getKey()).map(h -> !h.eTag().equals(e.getValue())).orElse(false)),
                            Duration.ofMinutes(15));
                    MeteredS3Server.Counters counters = bed.s3().counters();
                    String how = String.format(Locale.ROOT, "%s; change %.2f s", breakdown(counters), (changed - start) / 1e9);
                    return Map.of("bytes", Figure.of(counters.bytesWritten() / (double) Scale.MIB, how),
                            "time", Figure.of((done - start) / 1e9));
                });
        String how = files + " files of " + Scale.bytes(size) + ", 1 byte changed in the middle of each; baseline = the better peer";
        return List.of(
                Result.of(NAME, "MiB written to S3", Result.Direction.LOWER_IS_BETTER, ours[0], PeerRuns.better(peers.get("bytes"), Result.Direction.LOWER_IS_BETTER),
                        peers.get("bytes"), how + "; counted at the S3 server: uploads plus server-side copies"),
                Result.of(TIME, "s", Result.Direction.LOWER_IS_BETTER, ours[1], PeerRuns.better(peers.get("time"), Result.Direction.LOWER_IS_BETTER), peers.get("time"),
                        how + "; from the first change until S3 holds every change (ours: change + commit)"));
    }

    private static Figure[] oursFigures(Testbed bed, int files, long size) {
        String volume = bed.newVolumeName(NAME);
        try {
            bed.createVolume(volume);
            for (int i = 0; i < files; i++) {
                bed.putFile(volume, name(i), 4_000_000L + i, size);
            }
            try (OursMount mount = bed.mountOurs(volume, "jfuse")) {
                bed.s3().resetCounters();
                long start = System.nanoTime();
                changeOneByte(mount.path(), files, size);
                long changed = System.nanoTime();
                CommitReport report = mount.volume().commitReport();
                long done = System.nanoTime();
                MeteredS3Server.Counters counters = bed.s3().counters();
                String how = String.format(Locale.ROOT, "%s; change %.2f s, commit %.2f s, %d chunks uploaded, %d reused",
                        breakdown(counters), (changed - start) / 1e9, (done - changed) / 1e9, report.chunksUploaded(), report.chunksReused());
                return new Figure[] {Figure.of(counters.bytesWritten() / (double) Scale.MIB, how), Figure.of((done - start) / 1e9)};
            }
        } catch (Exception | LinkageError e) {
            Figure failed = Figure.failed("ours", e);
            return new Figure[] {failed, failed};
        } finally {
            bed.dropVolume(volume);
        }
    }

    /**
     * What reached the S3 server. S3Proxy's in-memory backend has no native part copy, so the server
     * performs an UploadPartCopy as a read of the source plus a part write: such copies appear as
     * uploads with as many bytes read, and the total written is the same either way.
     */
    private static String breakdown(MeteredS3Server.Counters counters) {
        return String.format(Locale.ROOT, "%d uploads (%s), %d object copies (%s), %d reads (%s)", counters.uploadRequests(),
                Scale.bytes(counters.bytesUploaded()), counters.copyRequests(), Scale.bytes(counters.bytesCopied()),
                counters.getRequests(), Scale.bytes(counters.bytesServed()));
    }

    static String name(int i) {
        return String.format("big-%02d", i);
    }

    private static void changeOneByte(Path root, int files, long size) throws IOException {
        for (int i = 0; i < files; i++) {
            try (RandomAccessFile file = new RandomAccessFile(root.resolve(name(i)).toFile(), "rw")) {
                file.seek(size / 2 + 12345);
                int old = file.read();
                file.seek(size / 2 + 12345);
                file.write(old ^ 0xff);
            }
        }
    }
}
