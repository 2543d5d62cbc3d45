package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.client.Volume;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * Semantic 2: the mount path is absolute and never {@code /}; where FUSE cannot run, mount fails at once
 * with an error that says what is missing and how to install it.
 */
class MountPathIT extends AcceptanceBase {

    @Test
    void semantic2_theMountPathIsAbsoluteAndNeverRoot() {
        Sailbox box = sailbox("box");
        Launcher.Result root = box.cli("mount", "--volume", uniqueVolume("path"), "--create", "/");
        assertThat(root.exit()).as(root.transcript()).isEqualTo(1);
        assertThat(root.err()).contains("Refusing to mount a volume over '/'");

        Launcher.Result relative = box.cli("mount", "--volume", uniqueVolume("path"), "--create", "relative/dir");
        assertThat(relative.exit()).as(relative.transcript()).isEqualTo(1);
        assertThat(relative.err()).contains("must be an absolute path");
        assertThat(Mounts.fuseMountPoints()).as("nothing mounted").noneMatch(m -> m.equals("/") || m.endsWith("relative/dir"));
    }

    /**
     * A guest without {@code /dev/fuse}: the mount runs in its own mount namespace where {@code /dev} is a
     * fresh tmpfs holding only null, zero, random and urandom (needs root, as FUSE mounts here do).
     */
    @Test
    void semantic2_mountFailsAtOnceWithoutFuseAndSaysWhatToInstall() throws Exception {
        assumeThat(ProcessHandle.current().info().user().orElse("")).as("a mount namespace needs root").isEqualTo("root");
        assumeThat(Path.of("/usr/bin/unshare")).as("unshare (util-linux)").isExecutable();
        Sailbox box = sailbox("no-fuse");
        String volume = uniqueVolume("nofuse");
        Path oldDev = Files.createDirectories(temp.resolve("old-dev"));
        String script = String.join(" && ",
                "mount --bind /dev " + oldDev,
                "mount -t tmpfs tmpfs /dev",
                "for n in null zero random urandom; do touch /dev/$n; mount --bind " + oldDev + "/$n /dev/$n; done",
                "test ! -e /dev/fuse",
                "exec \"$0\" \"$@\"");
        List<String> command = new ArrayList<>(List.of("/usr/bin/unshare", "--mount", "--propagation", "private",
                "/bin/sh", "-c", script, Launcher.sailVolume().toString(),
                "mount", "--volume", volume, "--create", "--state-dir", box.stateDir().toString(), box.mountpoint().toString()));
        long start = System.nanoTime();

        Launcher.Result result = Launcher.run(temp.resolve("out"), box.env(), Duration.ofSeconds(60), command);

        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(result.exit()).as(result.transcript()).isEqualTo(1);
        assertThat(result.err().strip()).isEqualTo("sail-volume: FUSE cannot run here: /dev/fuse is missing (load the fuse kernel "
                + "module, or give the sandbox access to /dev/fuse) and install the user-space tools: apt-get install -y fuse3 libfuse3-3");
        assertThat(took).as("fails at once: one JVM start, no retries").isLessThan(Duration.ofSeconds(30));
        assertThat(box.isMounted()).isFalse();
        assertThat(box.stateDir()).as("nothing was set up").doesNotExist();
        Assertions.assertThatThrownBy(() -> Volume.get(service.client(), volume, false))
                .as("the refusal came before the volume was created").isInstanceOf(VolumeServiceException.class);
    }
}
