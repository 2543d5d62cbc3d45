package dev.sail.volumes.benchmarks.harness;

import java.util.List;

/**
 * The sizes of one run. {@link #full()} holds the sizes issue 7 sets; {@link #quick()}
 * keeps every workload but shrinks it so that the whole run fits in 10 minutes on 2 cores. Immutable.
 *
 * @param commitBytes       new data written then committed (commit-throughput), in files of {@code commitFileBytes}
 * @param incrementalFiles  files changed by one byte each (incremental-commit), of {@code incrementalFileBytes}
 * @param smallFiles        4 KiB files written and committed (small-files)
 * @param treeSizes         file counts of the API-built volumes (noop-commit, reload-delta, mount-time), ascending
 * @param metadataSizes     file counts of the trees walked by find and ls -lR (metadata)
 * @param readBytes         the file read cold then warm, and written (cold-read, warm-read, overlay-write)
 * @param s3CapacityBytes   the most the in-memory S3 server holds at once (the run script's heap must fit it)
 */
public record Scale(String name, long commitBytes, long commitFileBytes, int incrementalFiles, long incrementalFileBytes,
                    int smallFiles, List<Integer> treeSizes, List<Integer> metadataSizes, long readBytes,
                    long s3CapacityBytes) {
    static final long MIB = 1L << 20;

    public Scale {
        treeSizes = List.copyOf(treeSizes);
        metadataSizes = List.copyOf(metadataSizes);
    }

    public static Scale full() {
        return new Scale("full", 1024 * MIB, 64 * MIB, 8, 256 * MIB, 10_000,
                List.of(10_000, 100_000, 1_000_000), List.of(10_000, 100_000), 1024 * MIB, 8L << 30);
    }

    public static Scale quick() {
        return new Scale("quick", 256 * MIB, 64 * MIB, 8, 32 * MIB, 2_000,
                List.of(10_000, 100_000), List.of(10_000), 256 * MIB, 4L << 30);
    }

    /**
     * What the in-memory S3 server allocates before anything is measured: more than any comparison
     * writes before it frees, which is commit-throughput's (our two rounds, then the baseline's).
     */
    long s3ReservedBytes() {
        return 3 * commitBytes;
    }

    static String count(long n) {
        return switch ((int) Math.min(n, Integer.MAX_VALUE)) {
            case 1_000 -> "10^3";
            case 10_000 -> "10^4";
            case 100_000 -> "10^5";
            case 1_000_000 -> "10^6";
            default -> Long.toString(n);
        };
    }

    static String bytes(long n) {
        return n >= 1L << 30 && n % (1L << 30) == 0 ? (n >> 30) + " GiB" : (n >> 20) + " MiB";
    }
}
