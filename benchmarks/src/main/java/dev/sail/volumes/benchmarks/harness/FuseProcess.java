package dev.sail.volumes.benchmarks.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A FUSE file system served by a child process of the harness (our daemon, rclone, s3fs): started in
 * the foreground so that the harness owns it, ready once mounted, and on {@link #close()} unmounted,
 * stopped and its scratch directory deleted. Not thread-safe; close is idempotent.
 */
final class FuseProcess implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);
    /** Every mount not closed yet, so that a shutdown hook can clean up after an interrupted run. */
    private static final java.util.Set<FuseProcess> OPEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final String subject;
    private final Path mountpoint;
    private final Path scratch;
    private final Path log;
    private final Process process;
    private final long startedNanos;
    private boolean closed;

    private FuseProcess(String subject, Path mountpoint, Path scratch, Path log, Process process, long startedNanos) {
        this.subject = subject;
        this.mountpoint = mountpoint;
        this.scratch = scratch;
        this.log = log;
        this.process = process;
        this.startedNanos = startedNanos;
    }

    /**
     * Starts {@code command} (which must serve a mount at {@code mountpoint} in the foreground) and waits
     * until the mount is there and {@code ready} holds. {@code scratch} is the subject's own directory
     * (cache, state, log), deleted on close; the mount point is created inside it by the caller.
     */
    static FuseProcess start(String subject, List<String> command, Map<String, String> env, Path mountpoint, Path scratch,
                             BooleanSupplier ready) {
        Path log = scratch.resolve(subject.replaceAll("[^A-Za-z0-9]", "-") + ".log");
        long started = System.nanoTime();
        Process process;
        try {
            Files.createDirectories(mountpoint);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            builder.environment().remove("AWS_CA_BUNDLE");
            builder.environment().putAll(env);
            process = builder.start();
        } catch (IOException e) {
            throw new HarnessException("Cannot start " + subject + ": " + e.getMessage(), e);
        }
        FuseProcess mount = new FuseProcess(subject, mountpoint, scratch, log, process, started);
        OPEN.add(mount);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        boolean success = false;
        try {
            while (!(Shell.isMounted(mountpoint) && ready.getAsBoolean())) {
                if (!process.isAlive()) {
                    throw new HarnessException(subject + " exited (code " + process.exitValue() + ") before mounting: " + mount.logTail());
                }
                if (System.nanoTime() > deadline) {
                    throw new HarnessException(subject + " did not mount within " + READY_TIMEOUT.toSeconds() + " s: " + mount.logTail());
                }
                // Polling: the peer's mount shows up only in the kernel's mount table, which cannot notify us.
                Thread.sleep(10);
            }
            success = true;
            return mount;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("Interrupted while mounting " + subject, e);
        } finally {
            if (!success) {
                mount.close();
            }
        }
    }

    Path mountpoint() {
        return mountpoint;
    }

    Path scratch() {
        return scratch;
    }

    /** When the process was started ({@link System#nanoTime()}), for mount-time figures. */
    long startedNanos() {
        return startedNanos;
    }

    String logTail() {
        try {
            return Shell.tail(log, 1500).strip().replaceAll("\\s*\\n\\s*", " | ");
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Closes every mount still open (for the shutdown hook). */
    static void closeAll() {
        for (FuseProcess mount : List.copyOf(OPEN)) {
            mount.close();
        }
    }

    /** Copies the log out of the scratch directory when {@code SAIL_BENCH_KEEP_LOGS} names a directory, for diagnosis. */
    private void keepLog() {
        String keep = System.getenv("SAIL_BENCH_KEEP_LOGS");
        if (keep == null || keep.isBlank() || !Files.exists(log)) {
            return;
        }
        try {
            Path dir = Files.createDirectories(Path.of(keep));
            Files.copy(log, dir.resolve(System.currentTimeMillis() + "-" + log.getFileName()));
        } catch (IOException e) {
            // Only a diagnosis aid: the run goes on without it.
        }
    }

    /** Unmounts, stops the process and deletes the scratch directory (mount point, cache, log). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        OPEN.remove(this);
        try {
            Shell.unmount(mountpoint);
            Shell.stop(process, Duration.ofSeconds(20));
        } finally {
            Shell.unmount(mountpoint);
            keepLog();
            Shell.deleteTree(scratch);
        }
    }
}
