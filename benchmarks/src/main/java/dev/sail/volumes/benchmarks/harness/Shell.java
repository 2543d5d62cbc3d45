package dev.sail.volumes.benchmarks.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the external programs of a workload (dd, find, ls, fusermount3, apt-get) and times them. Stateless. */
final class Shell {
    private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(20);

    private Shell() {
    }

    /** What a finished command left: its exit code and the tail of its combined output. */
    record Outcome(int exitCode, String output, double seconds) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs {@code command} to completion, output captured (its last 4 KiB kept). */
    static Outcome run(List<String> command) {
        return run(command, Map.of(), DEFAULT_TIMEOUT);
    }

    static Outcome run(List<String> command, Map<String, String> env, Duration timeout) {
        try {
            Path output = Files.createTempFile("sail-bench-cmd-", ".log");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
                builder.environment().putAll(env);
                long start = System.nanoTime();
                Process process = builder.start();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    process.waitFor();
                    throw new HarnessException("'" + String.join(" ", command) + "' did not finish within " + timeout.toSeconds() + " s");
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                return new Outcome(process.exitValue(), tail(output, 4096), seconds);
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new HarnessException("Cannot run '" + String.join(" ", command) + "': " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("Interrupted while running '" + String.join(" ", command) + "'", e);
        }
    }

    /** Runs {@code command}, throwing with its output when it fails; answers its wall-clock time in seconds. */
    static double timed(List<String> command) {
        Outcome outcome = run(command);
        if (!outcome.ok()) {
            throw new HarnessException("'" + String.join(" ", command) + "' failed (exit " + outcome.exitCode() + "): "
                    + outcome.output().strip());
        }
        return outcome.seconds();
    }

    /**
     * Runs {@code command} with its output discarded (so that writing it costs nothing), throwing when it
     * fails; answers its wall-clock time in seconds.
     */
    static double timedQuiet(List<String> command) {
        try {
            long start = System.nanoTime();
            Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new HarnessException("'" + String.join(" ", command) + "' did not finish within " + DEFAULT_TIMEOUT.toSeconds() + " s");
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (process.exitValue() != 0) {
                throw new HarnessException("'" + String.join(" ", command) + "' failed (exit " + process.exitValue() + ")");
            }
            return seconds;
        } catch (IOException e) {
            throw new HarnessException("Cannot run '" + String.join(" ", command) + "': " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("Interrupted while running '" + String.join(" ", command) + "'", e);
        }
    }

    /** The best (smallest) time of {@code runs} runs of {@link #timedQuiet}. */
    static double bestOf(int runs, List<String> command) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
            best = Math.min(best, timedQuiet(command));
        }
        return best;
    }

    /** The first non-blank line of {@code text}. */
    static java.util.Optional<String> firstLine(String text) {
        return text.lines().filter(l -> !l.isBlank()).findFirst();
    }

    static boolean onPath(String program) {
        return run(List.of("sh", "-c", "command -v " + program)).ok();
    }

    static String tail(Path file, int maxBytes) throws IOException {
        if (!Files.exists(file)) {
            return "";
        }
        byte[] bytes = Files.readAllBytes(file);
        int from = Math.max(0, bytes.length - maxBytes);
        return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
    }

    /** True when something is mounted at exactly {@code mountpoint} (per /proc/self/mountinfo). */
    static boolean isMounted(Path mountpoint) {
        String target = mountpoint.toAbsolutePath().normalize().toString();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] fields = line.split(" ");
                if (fields.length > 4 && fields[4].replace("\\040", " ").equals(target)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new HarnessException("Cannot read /proc/self/mountinfo", e);
        }
    }

    /** Unmounts whatever is at {@code mountpoint}: fusermount3 -u, then a lazy unmount if it is busy. */
    static void unmount(Path mountpoint) {
        if (!isMounted(mountpoint)) {
            return;
        }
        run(List.of("fusermount3", "-u", mountpoint.toString()));
        if (isMounted(mountpoint)) {
            run(List.of("fusermount3", "-uz", mountpoint.toString()));
        }
        if (isMounted(mountpoint)) {
            run(List.of("umount", "-l", mountpoint.toString()));
        }
    }

    /** Stops a process this harness started: politely, then forcibly after {@code grace}. */
    static void stop(Process process, Duration grace) {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** Deletes a directory tree; what cannot be deleted is left (cleanup must not throw over a real error). */
    static void deleteTree(Path root) {
        if (root == null || !Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        run(List.of("rm", "-rf", "--one-file-system", root.toString()));
    }
}
