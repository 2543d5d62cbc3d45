package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/package}: the archive holds the launcher and both modules' jars, and runs from where it is
 * unpacked without the source tree.
 */
class DistributionIT {
    @TempDir
    Path temp;

    @Test
    void theArchiveUnpacksAndRunsSailVolumeHelp() throws Exception {
        // It trains the guest's AOT cache on a real mount (a minute or two on 2 cores), then checks the archive.
        Launcher.Result pack = Launcher.run(temp.resolve("out"), Map.of(), Duration.ofMinutes(8),
                List.of(Launcher.REPO.resolve("bin/package").toString(), "--no-build", "--out", temp.resolve("dist").toString()));
        assertThat(pack.exit()).as(pack.transcript()).isZero();
        Path archive = Path.of(pack.out().strip());
        assertThat(archive.getFileName().toString()).matches("sail-volume-.+\\.tar\\.gz");
        assertThat(pack.err()).contains("checked: the unpacked archive runs sail-volume --help")
                .contains("and starts with its AOT cache");

        Path unpacked = Files.createDirectories(temp.resolve("unpacked"));
        Launcher.Result untar = Launcher.run(temp.resolve("out"), Map.of(), Duration.ofMinutes(1),
                List.of("tar", "-C", unpacked.toString(), "-xzf", archive.toString()));
        assertThat(untar.exit()).as(untar.transcript()).isZero();
        String name = archive.getFileName().toString().replace(".tar.gz", "");
        Path home = unpacked.resolve(name);
        assertThat(home.resolve("bin/sail-volume")).isExecutable();
        assertThat(home.resolve("bin/jdk.sh")).exists();
        assertThat(home.resolve("lib/volume-service")).isDirectoryContaining("glob:**/volume-service-*.jar")
                .isDirectoryContaining("glob:**/rocksdbjni-*.jar");
        assertThat(home.resolve("lib/volume-fuse")).isDirectoryContaining("glob:**/volume-fuse-*.jar")
                .isDirectoryContaining("glob:**/jfuse-linux-amd64-*.jar").isDirectoryContaining("glob:**/jfuse-linux-aarch64-*.jar")
                .isDirectoryContaining("glob:**/jffi-*-native.jar");
        assertThat(home.resolve("lib/aot")).isDirectoryContaining("glob:**/guest-*.aot");
        assertThat(home.resolve("bin/aot-cache")).isExecutable();

        Launcher.Result help = Launcher.run(temp.resolve("out"), Map.of(), Duration.ofMinutes(1),
                List.of(home.resolve("bin/sail-volume").toString(), "--help"));
        assertThat(help.exit()).as(help.transcript()).isZero();
        assertThat(help.out()).contains("usage: sail-volume <command>").contains("quickstart");
        Launcher.Result mountHelp = Launcher.run(temp.resolve("out"), Map.of(), Duration.ofMinutes(1),
                List.of(home.resolve("bin/sail-volume").toString(), "mount", "--help"));
        assertThat(mountHelp.exit()).as(mountHelp.transcript()).isZero();
        assertThat(mountHelp.out() + mountHelp.err()).contains("--cache-size").doesNotContain("building");
    }
}
