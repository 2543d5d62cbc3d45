package dev.sail.volumes.benchmarks.service;

import java.util.Arrays;
import java.util.Locale;

/**
 * Latencies of one operation, in nanoseconds, with percentiles by the nearest-rank method.
 * Not thread-safe: one recorder per thread, {@link #addAll merged} afterwards.
 */
final class LatencySamples {
    private long[] nanos = new long[1024];
    private int count;
    private boolean sorted;

    void add(long elapsedNanos) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, count * 2);
        }
        nanos[count++] = elapsedNanos;
        sorted = false;
    }

    void addAll(LatencySamples other) {
        for (int i = 0; i < other.count; i++) {
            add(other.nanos[i]);
        }
    }

    int count() {
        return count;
    }

    /** The {@code p}-th percentile (0 < p ≤ 100) in milliseconds. */
    double percentileMillis(double p) {
        if (count == 0) {
            throw new IllegalStateException("No samples recorded");
        }
        if (!sorted) {
            Arrays.sort(nanos, 0, count);
            sorted = true;
        }
        int rank = (int) Math.ceil(p / 100 * count);
        return nanos[Math.max(0, Math.min(count, rank) - 1)] / 1e6;
    }

    double p50() {
        return percentileMillis(50);
    }

    double p99() {
        return percentileMillis(99);
    }

    /** {@code p50 0.123 ms, p99 0.456 ms (n=1000)}. */
    @Override
    public String toString() {
        return count == 0 ? "no samples" : String.format(Locale.ROOT, "p50 %s ms, p99 %s ms (n=%d)",
                millis(p50()), millis(p99()), count);
    }

    /** Three significant figures, whatever the magnitude. */
    static String millis(double ms) {
        if (ms >= 100) {
            return String.format(Locale.ROOT, "%.0f", ms);
        }
        if (ms >= 10) {
            return String.format(Locale.ROOT, "%.1f", ms);
        }
        if (ms >= 1) {
            return String.format(Locale.ROOT, "%.2f", ms);
        }
        return String.format(Locale.ROOT, "%.3f", ms);
    }
}
