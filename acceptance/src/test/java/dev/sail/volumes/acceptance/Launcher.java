package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code sail-volume} as its own process, the way a user runs it: the launcher of a distribution
 * tree that {@code bin/package --tree} lays out once per test run from this checkout's built modules (so
 * the suite runs what guests install, and a module rebuilt while the suite runs cannot pull jars from
 * under it). The repository root comes from the system property {@code sail.repo} (set by the pom), else
 * the parent of the working directory. Output goes to files so that a chatty command never blocks on a pipe.
 */
final class Launcher {
    static final Path REPO = Path.of(System.getProperty("sail.repo", "..")).toAbsolutePath().normalize();
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(90);

    /** A finished command: exit code, standard output and standard error. */
    record Result(int exit, String out, String err) {
        /** Both streams, for failure messages. */
        String transcript() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Launcher() {
    }

    /** {@code bin/sail-volume} of the distribution tree the suite runs. */
    static Path sailVolume() {
        return Home.TREE.resolve("bin/sail-volume");
    }

    /** The distribution tree, laid out on first use and deleted when the JVM exits. */
    private static final class Home {
        static final Path TREE = layOut();

        private static Path layOut() {
            try {
                Path parent = Files.createTempDirectory("sail-home-");
                Path tree = parent.resolve("sail-volume");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(parent), "sail-home-cleanup"));
                // Minutes, not seconds: bin/package trains the guest's AOT cache on a real mount, as for the archive.
                Result result = run(parent, Map.of(), Duration.ofMinutes(8),
                        List.of(REPO.resolve("bin/package").toString(), "--no-build", "--tree", tree.toString()));
                if (result.exit() != 0) {
                    throw new IllegalStateException("bin/package --tree failed (build volume-service and volume-fuse first):\n"
                            + result.transcript());
                }
                return tree;
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot lay out the distribution tree", e);
            }
        }

        private static void deleteTree(Path root) {
            try (var paths = Files.walk(root)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                // A temporary directory left behind is harmless.
            }
        }
    }

    /** {@code bin/sail-volume args...} with {@code env} added to this JVM's environment; waits up to 90 s. */
    static Result sailVolume(Path scratch, Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>();
        command.add(sailVolume().toString());
        command.addAll(List.of(args));
        return run(scratch, env, DEFAULT_TIMEOUT, command);
    }

    /** Any command, with {@code env} added; fails the test if it outlives {@code timeout} (and kills it). */
    static Result run(Path scratch, Map<String, String> env, Duration timeout, List<String> command) {
        try {
            Files.createDirectories(scratch);
            Path out = Files.createTempFile(scratch, "out-", ".txt");
            Path err = Files.createTempFile(scratch, "err-", ".txt");
            ProcessBuilder builder = new ProcessBuilder(command).directory(REPO.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
            builder.environment().putAll(env);
            Process process = builder.start();
            try {
                boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(finished).as("%s finished within %s; stderr so far:%n%s", command, timeout, Files.readString(err)).isTrue();
                return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + command, e);
        }
    }

    /** Starts {@code bin/sail-volume args...} without waiting; its output goes to {@code log}. */
    static Process start(Path log, Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>();
        command.add(sailVolume().toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(REPO.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().putAll(env);
        try {
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start " + command, e);
        }
    }
}
