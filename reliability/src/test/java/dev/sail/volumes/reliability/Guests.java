package dev.sail.volumes.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sail.volumes.client.control.ControlClient;
import dev.sail.volumes.fuse.FuseEnvironment;
import dev.sail.volumes.fuse.cli.GuestMain;
import dev.sail.volumes.testkit.ServiceFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Guest daemons as separate processes ({@code sail-volume mount --foreground}, the guest CLI's main),
 * as a sailbox runs them, against a {@link ServiceFixture}; each with its own run dir for the control
 * socket. {@link #close()} unmounts everything it mounted (through the daemon, else {@code fusermount -u})
 * and kills what is still running, even after a failed test. Not thread-safe.
 */
final class Guests implements AutoCloseable {
    private final ServiceFixture service;
    private final Path temp;
    private final Path runDir;
    private final List<Path> mountpoints = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final Map<Path, Process> daemons = new HashMap<>();
    private int logs;

    Guests(ServiceFixture service, Path temp) throws IOException {
        this.service = service;
        this.temp = temp;
        this.runDir = Files.createDirectories(temp.resolve("run"));
    }

    /** A daemon mounting {@code volume} (created if missing) at {@code mountpoint} with {@code stateDir}; waits until it answers. */
    Process mount(String volume, Path mountpoint, Path stateDir, String... extra) throws IOException {
        if (!FuseEnvironment.isMounted(mountpoint)) {
            // A dead mount (a killed daemon) is left for the new daemon to clear: mkdir would fail on it.
            Files.createDirectories(mountpoint);
        }
        if (!mountpoints.contains(mountpoint)) {
            mountpoints.add(mountpoint);
        }
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), GuestMain.class.getName(),
                "mount", "--volume", volume, "--create", "--state-dir", stateDir.toString(), "--foreground"));
        command.addAll(List.of(extra));
        command.add(mountpoint.toString());
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("SAIL_VOLUME_URL", service.baseUrl().toString());
        builder.environment().put("SAIL_API_KEY", service.apiKey());
        builder.environment().put("SAIL_VOLUME_RUN_DIR", runDir.toString());
        Path log = temp.resolve("daemon-" + (++logs) + ".log");
        Process daemon = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(daemon);
        daemons.put(mountpoint, daemon);
        ControlClient control = control(mountpoint);
        await().atMost(Duration.ofSeconds(120)).until(() -> control.isReachable() || !daemon.isAlive());
        assertThat(daemon.isAlive()).as("daemon log: %s", Files.readString(log)).isTrue();
        return daemon;
    }

    /** The daemon last started for {@code mountpoint}. */
    Process daemon(Path mountpoint) {
        return daemons.get(mountpoint);
    }

    ControlClient control(Path mountpoint) {
        return ControlClient.forMount(mountpoint, runDir);
    }

    /** {@code kill -9} of a daemon; its mount stays behind, dead, until the next mount clears it. */
    static void kill(Process daemon) throws InterruptedException {
        daemon.destroyForcibly();
        assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).as("the daemon died").isTrue();
    }

    /** Unmounts through the daemon and waits for it to exit. */
    void unmount(Path mountpoint, Process daemon) throws InterruptedException {
        control(mountpoint).unmount();
        assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).as("the daemon exited after unmount").isTrue();
    }

    @Override
    public void close() {
        for (Path mountpoint : mountpoints) {
            try {
                ControlClient control = control(mountpoint);
                if (control.isReachable()) {
                    control.unmount();
                }
            } catch (RuntimeException e) {
                // A daemon that cannot unmount is killed below and its mount cleared.
            }
            if (FuseEnvironment.isMounted(mountpoint)) {
                FuseEnvironment.fusermountUnmount(mountpoint);
            }
        }
        for (Process process : processes) {
            process.destroyForcibly();
        }
        for (Path mountpoint : mountpoints) {
            if (FuseEnvironment.isMounted(mountpoint)) {
                FuseEnvironment.fusermountUnmount(mountpoint);
            }
        }
    }
}
