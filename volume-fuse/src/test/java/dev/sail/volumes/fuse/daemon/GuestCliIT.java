package dev.sail.volumes.fuse.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sail.volumes.client.control.ControlClient;
import dev.sail.volumes.client.control.ControlProtocol;
import dev.sail.volumes.client.control.MountControlException;
import dev.sail.volumes.fuse.FuseEnvironment;
import dev.sail.volumes.fuse.cli.GuestMain;
import dev.sail.volumes.testkit.ServiceFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code sail-volume} guest commands as separate processes, as a user runs them: mount, commit, status, unmount, a kill -9. */
class GuestCliIT {
    static ServiceFixture service;

    @TempDir
    Path temp;

    final List<Path> mountpoints = new ArrayList<>();
    final List<Process> processes = new ArrayList<>();

    record Result(int exit, String out, String err) {
    }

    @BeforeAll
    static void startService() {
        service = ServiceFixture.start();
    }

    @AfterAll
    static void stopService() {
        service.close();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Path mountpoint : mountpoints) {
            ControlClient control = ControlClient.forMount(mountpoint, runDir());
            if (control.isReachable()) {
                try {
                    control.unmount();
                } catch (MountControlException e) {
                    // A daemon the test unmounted can still answer one status while it exits: its socket is gone now.
                }
            }
            if (FuseEnvironment.isMounted(mountpoint)) {
                FuseEnvironment.fusermountUnmount(mountpoint);
            }
        }
        for (Process process : processes) {
            process.destroyForcibly();
        }
    }

    Path runDir() throws IOException {
        return Files.createDirectories(temp.resolve("run"));
    }

    ProcessBuilder guest(Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"), GuestMain.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("SAIL_VOLUME_URL", service.baseUrl().toString());
        builder.environment().put("SAIL_API_KEY", service.apiKey());
        builder.environment().put("SAIL_VOLUME_RUN_DIR", runDir().toString());
        builder.environment().putAll(env);
        return builder;
    }

    /** Runs a command in this JVM (fast: no JVM start), with the environment a user would have. */
    Result run(String... args) throws Exception {
        return run(Map.of(), args);
    }

    Result run(Map<String, String> extraEnv, String... args) throws Exception {
        Map<String, String> env = new java.util.HashMap<>(Map.of("SAIL_VOLUME_URL", service.baseUrl().toString(),
                "SAIL_API_KEY", service.apiKey(), "SAIL_VOLUME_RUN_DIR", runDir().toString()));
        env.putAll(extraEnv);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int exit = GuestMain.run(env, new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8),
                new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8), args);
        return new Result(exit, out.toString(java.nio.charset.StandardCharsets.UTF_8), err.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Runs a command as its own process, as the launcher does. */
    Result runProcess(String... args) throws Exception {
        Map<String, String> env = Map.of();
        Path out = Files.createTempFile(temp, "out", ".txt");
        Path err = Files.createTempFile(temp, "err", ".txt");
        Process process = guest(env, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        processes.add(process);
        assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("sail-volume %s finished", List.of(args)).isTrue();
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    Path mountpoint(String name) throws IOException {
        Path mountpoint = Files.createDirectories(temp.resolve(name));
        mountpoints.add(mountpoint);
        return mountpoint;
    }

    @Test
    void aKilledDaemonLosesNoUncommittedByteAndTheCliCommitsThem() throws Exception {
        Path mnt = mountpoint("mnt");
        Path state = temp.resolve("state");
        Process daemon = guest(Map.of(), "mount", "--volume", "crash", "--create", "--state-dir", state.toString(),
                "--foreground", mnt.toString()).redirectErrorStream(true).redirectOutput(temp.resolve("daemon1.log").toFile()).start();
        processes.add(daemon);
        ControlClient control = ControlClient.forMount(mnt, runDir());
        await().atMost(Duration.ofSeconds(60)).until(() -> control.isReachable() || !daemon.isAlive());
        assertThat(daemon.isAlive()).as("daemon log: %s", Files.readString(temp.resolve("daemon1.log"))).isTrue();
        byte[] data = new byte[3 << 20];
        new Random(3).nextBytes(data);
        Files.createDirectories(mnt.resolve("work"));
        Files.write(mnt.resolve("work/data.bin"), data);

        daemon.destroyForcibly();
        assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();

        Result remount = runProcess("mount", "--volume", "crash", "--state-dir", state.toString(), mnt.toString());
        assertThat(remount.exit()).as(remount.err()).isZero();
        assertThat(remount.err()).contains("Mounted volume 'crash' at " + mnt);
        assertThat(Files.readAllBytes(mnt.resolve("work/data.bin"))).isEqualTo(data);

        Result status = run("status", mnt.toString(), "--json");
        assertThat(status.exit()).as(status.err()).isZero();
        assertThat(ControlProtocol.parse(status.out().strip()).path("dirtyPaths")).hasSize(2);

        Result commit = run("commit", mnt.toString(), "--json");
        assertThat(commit.exit()).as(commit.err()).isZero();
        JsonNode report = ControlProtocol.parse(commit.out().strip());
        assertThat(report.path("commit").asText()).isNotEmpty();
        assertThat(report.path("filesChanged").asInt()).isEqualTo(2);
        assertThat(report.path("chunksUploaded").asInt()).isEqualTo(1);
        assertThat(report.path("bytesUploaded").asLong()).isEqualTo(3 << 20);
        assertThat(report.has("chunksReused")).isTrue();
        assertThat(report.path("overwritten").isArray()).isTrue();

        Result reload = run("reload", mnt.toString(), "--json");
        assertThat(ControlProtocol.parse(reload.out().strip()).path("commit").asText()).isEqualTo(report.path("commit").asText());
        assertThat(ControlProtocol.parse(reload.out().strip()).path("discarded")).isEmpty();

        Result unmount = run("unmount", mnt.toString());
        assertThat(unmount.exit()).as(unmount.err()).isZero();
        assertThat(FuseEnvironment.isMounted(mnt)).isFalse();
    }

    @Test
    void badMountRequestsAreRefusedWithAClearMessage() throws Exception {
        Path mnt = mountpoint("refused");

        Result root = run("mount", "--volume", "v", "/");
        assertThat(root.exit()).isEqualTo(1);
        assertThat(root.err()).contains("Refusing to mount a volume over '/'");

        Result relative = run("mount", "--volume", "v", "relative/dir");
        assertThat(relative.exit()).isEqualTo(1);
        assertThat(relative.err()).contains("The mount point must be an absolute path, got 'relative/dir'");

        Result badName = run("mount", "--volume", "Bad Name", mnt.toString());
        assertThat(badName.exit()).isEqualTo(1);
        assertThat(badName.err()).contains("Invalid volume name 'Bad Name'");

        Result missing = run("mount", "--volume", "does-not-exist", mnt.toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("Volume 'does-not-exist' does not exist (add --create to create it)");

        Result unreachable = run(Map.of("SAIL_VOLUME_URL", "http://127.0.0.1:9"), "mount", "--volume", "v", "--create", mnt.toString());
        assertThat(unreachable.exit()).isEqualTo(1);
        assertThat(unreachable.err()).contains("Cannot reach the volume service");

        Result badKey = run(Map.of("SAIL_API_KEY", "sk_wrong"), "mount", "--volume", "v", "--create", mnt.toString());
        assertThat(badKey.exit()).isEqualTo(1);
        assertThat(badKey.err()).contains("rejected the API key");

        Result notMounted = run("commit", mnt.toString());
        assertThat(notMounted.exit()).isEqualTo(1);
        assertThat(notMounted.err()).contains("No sail-volume mount at " + mnt);
        assertThat(FuseEnvironment.isMounted(mnt)).isFalse();
    }

}
