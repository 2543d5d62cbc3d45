package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sail.volumes.client.MountedVolume;
import dev.sail.volumes.client.control.MountControlException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One guest: a mount point, its own state dir and socket dir, and the environment a user would export
 * ({@code SAIL_VOLUME_URL}, {@code SAIL_API_KEY}). It mounts through {@code bin/sail-volume} and drives
 * the mount through the CLI or {@link MountedVolume}. {@link #close()} leaves nothing behind, whatever
 * state the test left it in: it unmounts (through the daemon, else fusermount) and kills the daemon.
 * Not thread-safe.
 */
final class Sailbox implements AutoCloseable {
    private static final Pattern DAEMON_PID = Pattern.compile("daemon pid (\\d+)");
    private static final Duration MOUNT_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final Path root;
    private final Path mountpoint;
    private final Path stateDir;
    private final Path runDir;
    private final Map<String, String> env;
    private final List<ProcessHandle> daemons = new ArrayList<>();

    Sailbox(Path parent, String name, String serviceUrl, String apiKey) {
        this.name = name;
        this.root = parent.resolve(name);
        this.mountpoint = root.resolve("mnt");
        this.stateDir = root.resolve("state");
        this.runDir = root.resolve("run");
        try {
            Files.createDirectories(mountpoint);
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare sailbox " + name, e);
        }
        this.env = new HashMap<>(Map.of("SAIL_VOLUME_URL", serviceUrl, "SAIL_API_KEY", apiKey,
                "SAIL_VOLUME_RUN_DIR", runDir.toString()));
    }

    Path mountpoint() {
        return mountpoint;
    }

    Path stateDir() {
        return stateDir;
    }

    /** A path inside the mount. */
    Path path(String relative) {
        return mountpoint.resolve(relative);
    }

    Map<String, String> env() {
        return Map.copyOf(env);
    }

    /** {@code bin/sail-volume args...} in this sailbox's environment. */
    Launcher.Result cli(String... args) {
        return Launcher.sailVolume(root.resolve("out"), env, args);
    }

    /**
     * {@code sail-volume mount --volume V --create --state-dir S [options] MOUNTPOINT}, as a user runs it
     * (the daemon goes to the background); fails the test unless it mounted.
     */
    void mount(String volume, String... options) {
        Launcher.Result result = tryMount(volume, options);
        assertThat(result.exit()).as("mount in %s:%n%s", name, result.transcript()).isZero();
        assertThat(isMounted()).as("%s is a mount point after mount", mountpoint).isTrue();
    }

    /** The mount command's result, whatever it was; remembers the daemon it started for {@link #close()}. */
    Launcher.Result tryMount(String volume, String... options) {
        List<String> args = new ArrayList<>(List.of("mount", "--volume", volume, "--create", "--state-dir", stateDir.toString()));
        args.addAll(List.of(options));
        args.add(mountpoint.toString());
        Launcher.Result result = cli(args.toArray(String[]::new));
        Matcher pid = DAEMON_PID.matcher(result.err());
        if (pid.find()) {
            ProcessHandle.of(Long.parseLong(pid.group(1))).ifPresent(daemons::add);
        }
        return result;
    }

    /**
     * The same mount served by a {@code sail-volume mount --foreground} child (one JVM start instead of two,
     * which keeps the suite quick); returns once the mount answers.
     */
    void mountForeground(String volume, String... options) {
        awaitMounted(startForeground(volume, options));
    }

    /** Starts {@link #mountForeground} without waiting (to start several mounts at once); see {@link #awaitMounted}. */
    Process startForeground(String volume, String... options) {
        List<String> args = new ArrayList<>(List.of("mount", "--volume", volume, "--create", "--state-dir", stateDir.toString(),
                "--foreground"));
        args.addAll(List.of(options));
        args.add(mountpoint.toString());
        Process daemon = Launcher.start(root.resolve("foreground-" + daemons.size() + ".log"), env, args.toArray(String[]::new));
        daemons.add(daemon.toHandle());
        return daemon;
    }

    /** Waits until the mount started by {@code daemon} answers; fails the test with its log if the daemon died. */
    void awaitMounted(Process daemon) {
        await().atMost(MOUNT_TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> !daemon.isAlive() || isMounted() && answers());
        assertThat(daemon.isAlive()).as("the daemon of %s runs; its logs:%n%s", name, logs()).isTrue();
    }

    private String logs() {
        try (var files = Files.list(root)) {
            StringBuilder all = new StringBuilder();
            files.filter(f -> f.getFileName().toString().endsWith(".log")).forEach(f -> all.append(readQuietly(f)));
            return all.toString();
        } catch (IOException e) {
            return "(no logs: " + e.getMessage() + ")";
        }
    }

    /** The Java API's handle on this mount. */
    MountedVolume volume() {
        return MountedVolume.fromMount(mountpoint, runDir);
    }

    /** {@code sail-volume unmount}; fails the test unless it unmounted and the daemon exited. */
    void unmount() {
        Launcher.Result result = cli("unmount", mountpoint.toString());
        assertThat(result.exit()).as("unmount in %s:%n%s", name, result.transcript()).isZero();
        assertThat(isMounted()).as("%s is no longer a mount point", mountpoint).isFalse();
        for (ProcessHandle daemon : daemons) {
            await().atMost(Duration.ofSeconds(30)).until(() -> !daemon.isAlive());
        }
        daemons.clear();
    }

    /** Kills the daemon with SIGKILL, as an OOM killer would, and clears the dead mount it leaves. */
    void killDaemon() throws Exception {
        for (ProcessHandle daemon : daemons) {
            daemon.destroyForcibly();
            daemon.onExit().get(30, TimeUnit.SECONDS);
        }
        daemons.clear();
    }

    boolean isMounted() {
        return Mounts.isMountPoint(mountpoint);
    }

    boolean answers() {
        try {
            volume().status();
            return true;
        } catch (MountControlException e) {
            return false;
        }
    }

    /** The daemon's processes still alive (for leak checks). */
    List<ProcessHandle> liveDaemons() {
        return daemons.stream().filter(ProcessHandle::isAlive).toList();
    }

    @Override
    public void close() {
        try {
            if (answers()) {
                volume().unmount();
            }
        } catch (RuntimeException e) {
            // The daemon may have died; fusermount below clears what it left.
        }
        for (ProcessHandle daemon : daemons) {
            try {
                daemon.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                daemon.destroyForcibly();
                try {
                    daemon.onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception gone) {
                    // Reported by the caller's check of live daemons.
                }
            }
        }
        if (isMounted()) {
            Mounts.forceUnmount(mountpoint);
        }
        daemons.clear();
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** The first line of {@code text} matching {@code pattern}, for output checks. */
    static Optional<String> lineMatching(String text, String pattern) {
        return text.lines().filter(l -> l.matches(pattern)).findFirst();
    }
}
