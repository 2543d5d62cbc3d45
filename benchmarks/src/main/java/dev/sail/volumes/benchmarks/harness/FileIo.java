package dev.sail.volumes.benchmarks.harness;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The IO workloads, for each FUSE binding: {@code cold-read-throughput} (sequential dd of a file no
 * cache has seen, vs parallel presigned GETs of its chunks), {@code cold-read-ttfb} (open and read one
 * byte of another uncached file, vs one chunk GET's first byte), {@code warm-read} (dd of the same file
 * again, vs dd of a local file in the page cache) and {@code overlay-write} (dd with fdatasync into the
 * mount, vs the same into a local directory). Peers run the same jobs on their own mounts of a bucket
 * holding the same objects.
 *
 * <p>Every timed write starts from the same memory: {@link #freeRecently} first writes and deletes twice
 * the file's size in a local scratch file. On these VMs a page the guest has not touched for a few
 * seconds costs about 1.7 s per GiB to fault in (the host backs it anew), ten times a page freed just
 * before; without this the local baseline, which deleted its read file right before writing, ran on
 * freed pages and the mount on new ones. Twice the size, because a write through FUSE fills two pages
 * per byte (the kernel's page cache of the mounted file and the daemon's chunk file), a local write one.
 * Stateless; the harness runs workloads one at a time.
 */
final class FileIo implements Workload {
    static final String BIG = "big.bin";
    static final String FIRST_BYTE = "first-byte.bin";
    static final long FIRST_BYTE_SIZE = 8 << 20;
    private static final List<String> BINDINGS = List.of("jfuse", "jnr");
    private static final String[] METRICS = {"cold", "ttfb", "warm", "write"};

    @Override
    public String name() {
        return "file-io";
    }

    @Override
    public List<String[]> rows() {
        List<String[]> rows = new ArrayList<>();
        for (String binding : BINDINGS) {
            String suffix = suffix(binding);
            rows.add(new String[] {"cold-read-throughput" + suffix, "MiB/s"});
            rows.add(new String[] {"cold-read-ttfb" + suffix, "ms"});
            rows.add(new String[] {"warm-read" + suffix, "MiB/s"});
            rows.add(new String[] {"overlay-write" + suffix, "MiB/s"});
        }
        return rows;
    }

    private static String suffix(String binding) {
        return "jfuse".equals(binding) ? "" : " [" + binding + "]";
    }

    @Override
    public List<Result> run(Testbed bed) throws Exception {
        long size = bed.scale().readBytes();
        double mib = size / (double) Scale.MIB;
        long bigStream = 9_000_000L;
        long firstByteStream = 9_500_000L;
        String volume = bed.newVolumeName("file-io");
        List<Result> results = new ArrayList<>();
        try {
            bed.createVolume(volume);
            bed.putFile(volume, BIG, bigStream, size);
            bed.putFile(volume, FIRST_BYTE, firstByteStream, FIRST_BYTE_SIZE);
            Figure coldBaseline = Figure.measure("baseline parallel GETs", () -> CommitThroughput.best(
                    parallelGets(bed, volume, mib), parallelGets(bed, volume, mib)));
            Figure ttfbBaseline = Figure.measure("baseline chunk GET", () -> Figure.of(Math.min(firstByteOfGet(bed, volume),
                    Math.min(firstByteOfGet(bed, volume), firstByteOfGet(bed, volume))), "best of 3"));
            Figure[] local = local(bed, size, mib);
            Map<String, Map<String, Figure>> peers = PeerRuns.run(bed, "file-io", METRICS,
                    bucket -> {
                        bed.s3().putObject(bucket, BIG, size, bed.data().inputStream(bigStream, size));
                        bed.s3().putObject(bucket, FIRST_BYTE, FIRST_BYTE_SIZE, bed.data().inputStream(firstByteStream, FIRST_BYTE_SIZE));
                    },
                    (peer, bucket, mount) -> jobs(bed, mount.mountpoint(), size, mib));
            for (String binding : BINDINGS) {
                Map<String, Figure> ours;
                try (OursMount mount = bed.mountOurs(volume, binding)) {
                    ours = jobs(bed, mount.path(), size, mib);
                } catch (Exception | LinkageError e) {
                    Figure failed = Figure.failed("ours (" + binding + ")", e);
                    ours = Map.of("cold", failed, "ttfb", failed, "warm", failed, "write", failed);
                }
                String suffix = suffix(binding);
                String peerNote = "jfuse".equals(binding) ? "" : "; peers as in the jfuse row";
                results.add(Result.of("cold-read-throughput" + suffix, "MiB/s", Result.Direction.HIGHER_IS_BETTER, ours.get("cold"),
                        coldBaseline, peers.get("cold"), "dd bs=1M of a " + Scale.bytes(size) + " file no cache has seen; "
                                + "baseline = presigned GETs of its chunks, 8 in flight, hashes verified" + peerNote));
                results.add(Result.of("cold-read-ttfb" + suffix, "ms", Result.Direction.LOWER_IS_BETTER, ours.get("ttfb"),
                        ttfbBaseline, peers.get("ttfb"), "open + read 1 byte of an uncached 8 MiB file on a fresh mount; "
                                + "baseline = first byte of one chunk GET" + peerNote));
                results.add(Result.of("warm-read" + suffix, "MiB/s", Result.Direction.HIGHER_IS_BETTER, ours.get("warm"), local[0],
                        peers.get("warm"), "dd bs=1M of the same file again (best of 2); baseline = dd of a local file in the page cache"
                                + peerNote));
                results.add(Result.of("overlay-write" + suffix, "MiB/s", Result.Direction.HIGHER_IS_BETTER, ours.get("write"), local[1],
                        peers.get("write"), "dd if=/dev/zero bs=1M count=" + (size >> 20) + " conv=fdatasync of a new file, every side right after "
                                + Scale.bytes(2 * size) + " were written and deleted locally (the same memory state); "
                                + "baseline = the same dd into a local directory" + peerNote));
            }
        } finally {
            bed.dropVolume(volume);
        }
        return results;
    }

    /** The four jobs through one fresh mount, in an order that keeps each cache state honest. */
    private static Map<String, Figure> jobs(Testbed bed, Path mount, long size, double mib) {
        Map<String, Figure> figures = new LinkedHashMap<>();
        figures.put("ttfb", Figure.measure("first byte", () -> {
            long start = System.nanoTime();
            try (InputStream in = Files.newInputStream(mount.resolve(FIRST_BYTE))) {
                if (in.read() < 0) {
                    throw new HarnessException(FIRST_BYTE + " is empty");
                }
            }
            return Figure.of((System.nanoTime() - start) / 1e6);
        }));
        List<String> read = List.of("dd", "if=" + mount.resolve(BIG), "of=/dev/null", "bs=1M");
        figures.put("cold", Figure.measure("cold read", () -> Figure.of(mib / Shell.timedQuiet(read))));
        figures.put("warm", Figure.measure("warm read", () -> Figure.of(mib / Shell.bestOf(2, read))));
        figures.put("write", Figure.measure("write", () -> Figure.of(mib / ddWrite(bed, mount.resolve("written.bin"), size))));
        return figures;
    }

    private static double ddWrite(Testbed bed, Path file, long size) {
        freeRecently(bed, 2 * size);
        try {
            return Shell.timedQuiet(zeros(file, size, "conv=fdatasync"));
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // The scratch directory (or the mount's state) is deleted with the subject anyway.
            }
        }
    }

    /** The dd command writing {@code bytes} of zeros (whole MiB) to {@code file}, with extra operands. */
    private static List<String> zeros(Path file, long bytes, String... extra) {
        List<String> command = new ArrayList<>(List.of("dd", "if=/dev/zero", "of=" + file, "bs=1M", "count=" + (bytes >> 20)));
        command.addAll(List.of(extra));
        return command;
    }

    /** Writes and deletes {@code bytes} in a local scratch file, so that the next write finds that much memory freed just before. */
    private static void freeRecently(Testbed bed, long bytes) {
        Path dir = bed.scratch("freed-memory");
        try {
            Shell.timedQuiet(zeros(dir.resolve("pages.bin"), bytes));
        } finally {
            Shell.deleteTree(dir);
        }
    }

    /** Warm read and write of a local directory: the baselines of warm-read and overlay-write. */
    private static Figure[] local(Testbed bed, long size, double mib) {
        Path dir = bed.scratch("local-io");
        try {
            Path file = dir.resolve(BIG);
            bed.data().writeFile(file, 9_900_000L, size);
            List<String> read = List.of("dd", "if=" + file, "of=/dev/null", "bs=1M");
            Shell.timedQuiet(read);
            Figure warm = Figure.of(mib / Shell.bestOf(2, read));
            Files.delete(file);
            Figure write = Figure.of(mib / ddWrite(bed, dir.resolve("written.bin"), size));
            return new Figure[] {warm, write};
        } catch (Exception e) {
            Figure failed = Figure.failed("local directory", e);
            return new Figure[] {failed, failed};
        } finally {
            Shell.deleteTree(dir);
        }
    }

    private static List<ChunkId> chunksOf(Testbed bed, String volume, String path) {
        VolumeName name = VolumeName.of(volume);
        long seq = bed.service().findVolume(name).orElseThrow().headSeq();
        Versioned versioned = bed.service().stat(name, VolumePath.of(path), seq)
                .orElseThrow(() -> new HarnessException(path + " is missing from volume " + volume));
        return ((Entry.File) versioned.entry()).chunks();
    }

    /** Every chunk of the big file through presigned GETs by the raw client, 8 in flight (our engine's bound), hashes checked. */
    private static Figure parallelGets(Testbed bed, String volume, double mib) throws Exception {
        List<ChunkId> chunks = chunksOf(bed, volume, BIG);
        long start = System.nanoTime();
        List<PresignedUrl> urls = bed.service().downloadUrls(VolumeName.of(volume), chunks);
        long bytes = RawTransfer.getAll(urls, 8);
        double seconds = (System.nanoTime() - start) / 1e9;
        return Figure.of(bytes / (double) Scale.MIB / seconds, String.format(Locale.ROOT, "%d raw chunk GETs in %.2f s", urls.size(), seconds));
    }

    /** Milliseconds from sending one chunk GET (raw client) to its first body byte (the URL is fetched beforehand). */
    private static double firstByteOfGet(Testbed bed, String volume) throws Exception {
        List<ChunkId> chunks = chunksOf(bed, volume, FIRST_BYTE);
        PresignedUrl url = bed.service().downloadUrls(VolumeName.of(volume), chunks.subList(0, 1)).getFirst();
        return RawTransfer.firstByte(url);
    }
}
