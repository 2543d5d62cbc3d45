package dev.sail.volumes.fuse.core;

import dev.sail.volumes.client.ServiceUnavailableException;
import dev.sail.volumes.client.VolumeServiceException;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one wrapper every FUSE callback goes through, whatever the binding: it runs the operation,
 * turns every outcome into what the kernel expects ({@code >= 0}, or {@code -errno}), never lets a
 * Throwable reach native code, and counts calls, failures and time per operation.
 *
 * <p>Mapping: {@link FsError} answers its errno; "No space left" answers ENOSPC; other IO errors,
 * an unreachable service and anything unexpected answer EIO. Every EIO is logged, one line naming
 * the volume, the operation, the path and the cause (the unexpected ones with their stack trace),
 * so that an "Input/output error" in the mount can always be explained from the daemon's log.
 * Thread-safe.
 */
public final class FuseCalls {
    /** An operation body: answers the value to return, or throws. */
    @FunctionalInterface
    public interface Call {
        int run() throws Exception;
    }

    /** An operation body with nothing to answer but success. */
    @FunctionalInterface
    public interface VoidCall {
        void run() throws Exception;
    }

    /** Counters of one operation. */
    public record OpStats(long calls, long failures, long totalNanos) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(FuseCalls.class);

    private final Map<String, LongAdder[]> stats = new ConcurrentHashMap<>();
    private final String volume;

    /** Calls for a mount of {@code volume} (named in the log lines). */
    public FuseCalls(String volume) {
        this.volume = volume;
    }

    public FuseCalls() {
        this("?");
    }

    public int run(String op, Call call) {
        return run(op, "?", call);
    }

    public int runVoid(String op, VoidCall call) {
        return runVoid(op, "?", call);
    }

    /** Runs {@code op} on {@code path} (the path FUSE names, used in the log line of a failure). */
    public int run(String op, String path, Call call) {
        long start = System.nanoTime();
        int result;
        try {
            result = call.run();
        } catch (Throwable t) {
            result = -errno("Volume '" + volume + "': " + op + " " + path, t);
        }
        LongAdder[] counters = stats.computeIfAbsent(op, k -> new LongAdder[] {new LongAdder(), new LongAdder(), new LongAdder()});
        counters[0].increment();
        if (result < 0) {
            counters[1].increment();
        }
        counters[2].add(System.nanoTime() - start);
        return result;
    }

    public int runVoid(String op, String path, VoidCall call) {
        return run(op, path, () -> {
            call.run();
            return 0;
        });
    }

    /** The counters so far, by operation name. */
    public Map<String, OpStats> stats() {
        Map<String, OpStats> snapshot = new TreeMap<>();
        stats.forEach((op, c) -> snapshot.put(op, new OpStats(c[0].sum(), c[1].sum(), c[2].sum())));
        return snapshot;
    }

    /** The errno for {@code t}; {@code op} names the volume, the operation and the path. */
    private static int errno(String op, Throwable t) {
        return switch (t) {
            case FsError e when e.errno() == Errno.EIO -> {
                LOG.warn("{} failed with EIO: {}", op, e.getMessage());
                yield Errno.EIO;
            }
            case FsError e -> e.errno();
            case ServiceUnavailableException e -> {
                LOG.warn("{} failed with EIO: the volume service is unreachable ({})", op, e.getMessage());
                yield Errno.EIO;
            }
            case VolumeServiceException e -> {
                LOG.warn("{} failed with EIO: the volume service refused ({}: {})", op, e.code(), e.getMessage());
                yield Errno.EIO;
            }
            case IOException e when isNoSpace(e) -> Errno.ENOSPC;
            case IOException e -> {
                LOG.warn("{} failed with EIO: {}", op, causes(e));
                yield Errno.EIO;
            }
            default -> {
                LOG.error("{} failed with EIO, unexpectedly: {}", op, t.toString(), t);
                yield Errno.EIO;
            }
        };
    }

    /** The exception and its causes on one line. */
    private static String causes(Throwable t) {
        StringBuilder line = new StringBuilder(t.toString());
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            line.append(" <- ").append(c);
        }
        return line.toString();
    }

    private static boolean isNoSpace(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getMessage() != null && c.getMessage().contains("No space left")) {
                return true;
            }
        }
        return false;
    }
}
