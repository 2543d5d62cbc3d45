package dev.sail.volumes.fuse.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.client.MountedVolume;
import dev.sail.volumes.fuse.FuseEnvironment;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.testkit.ServiceFixture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ordinary programs (git, tar, cp, rsync, python) work in a mount, and what they write reaches a second mount through commit and reload. */
class RealProgramsIT {
    @TempDir
    Path temp;

    final List<Daemon> daemons = new ArrayList<>();
    final List<Path> mountpoints = new ArrayList<>();
    ServiceFixture service;

    @AfterEach
    void cleanUp() {
        daemons.forEach(Daemon::close);
        for (Path mountpoint : mountpoints) {
            if (FuseEnvironment.isMounted(mountpoint)) {
                FuseEnvironment.fusermountUnmount(mountpoint);
            }
        }
        if (service != null) {
            service.close();
        }
    }

    Path mount(String name) throws Exception {
        Path mountpoint = Files.createDirectories(temp.resolve(name));
        mountpoints.add(mountpoint);
        daemons.add(Daemon.start(new Daemon.Config(VolumeName.of("programs"), true, mountpoint, temp.resolve(name + "-state"),
                256L << 20, "jfuse", Files.createDirectories(temp.resolve("run"))), service.client(), service.transfer()));
        return mountpoint;
    }

    static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String text = new String(output, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("%s failed:%n%s", String.join(" ", command), text).isZero();
        return text;
    }

    /** A small tree of files, directories and a symlink on the local disk. */
    Path sampleTree() throws IOException {
        Path tree = Files.createDirectories(temp.resolve("tree"));
        Random random = new Random(11);
        for (int d = 0; d < 3; d++) {
            Path dir = Files.createDirectories(tree.resolve("dir" + d + "/nested"));
            for (int f = 0; f < 5; f++) {
                byte[] bytes = new byte[random.nextInt(200_000)];
                random.nextBytes(bytes);
                Files.write(dir.resolve("file" + f + ".bin"), bytes);
            }
        }
        Files.writeString(tree.resolve("README.md"), "# sample\n");
        Files.createSymbolicLink(tree.resolve("link"), Path.of("README.md"));
        return tree;
    }

    @Test
    void gitTarCpRsyncAndAPythonSaveWorkAndReachAnotherMount() throws Exception {
        service = ServiceFixture.start();
        Path a = mount("a");
        Path tree = sampleTree();

        Path repo = Files.createDirectories(a.resolve("repo"));
        run(repo, "git", "init", "-q");
        run(repo, "git", "config", "user.email", "it@example.com");
        run(repo, "git", "config", "user.name", "IT");
        Files.writeString(repo.resolve("main.py"), "print('hello')\n");
        run(repo, "git", "add", ".");
        run(repo, "git", "commit", "-q", "-m", "first commit");
        Files.writeString(repo.resolve("main.py"), "print('hello again')\n");
        run(repo, "git", "commit", "-q", "-am", "second commit");
        assertThat(run(repo, "git", "log", "--oneline")).contains("first commit", "second commit");

        run(temp, "tar", "-cf", temp.resolve("tree.tar").toString(), "-C", tree.toString(), ".");
        Files.createDirectories(a.resolve("extracted"));
        run(a, "tar", "-xf", temp.resolve("tree.tar").toString(), "-C", a.resolve("extracted").toString());
        run(temp, "diff", "-r", "--no-dereference", tree.toString(), a.resolve("extracted").toString());
        run(a, "tar", "-cf", temp.resolve("again.tar").toString(), "-C", a.toString(), "extracted");

        run(a, "cp", "-r", tree.toString(), a.resolve("copied").toString());
        run(temp, "diff", "-r", tree.toString(), a.resolve("copied").toString());

        run(a, "rsync", "-a", tree + "/", a.resolve("synced").toString() + "/");
        run(temp, "diff", "-r", "--no-dereference", tree.toString(), a.resolve("synced").toString());
        Path changed = temp.resolve("tree-changed");
        run(temp, "cp", "-a", tree.toString(), changed.toString());
        Files.writeString(changed.resolve("README.md"), "# sample, changed\n");
        run(a, "rsync", "-a", changed + "/", a.resolve("synced").toString() + "/");
        assertThat(Files.readString(a.resolve("synced/README.md"))).isEqualTo("# sample, changed\n");

        Path script = temp.resolve("save.py");
        Files.writeString(script, """
                import json, os, sys
                path = sys.argv[1]
                for i in range(3):
                    tmp = path + ".tmp"
                    with open(tmp, "w") as f:
                        json.dump({"cells": list(range(i + 1))}, f)
                        f.flush()
                        os.fsync(f.fileno())
                    os.replace(tmp, path)
                with open(path) as f:
                    print(json.load(f)["cells"])
                """);
        assertThat(run(a, "python3", script.toString(), a.resolve("notebook.ipynb").toString())).contains("[0, 1, 2]");

        MountedVolume.fromMount(a, temp.resolve("run")).commit();

        Path b = mount("b");
        assertThat(run(b.resolve("repo"), "git", "log", "--oneline")).contains("first commit", "second commit");
        assertThat(run(b.resolve("repo"), "git", "status", "--porcelain")).isEmpty();
        run(temp, "diff", "-r", "--no-dereference", tree.toString(), b.resolve("extracted").toString());
        run(temp, "diff", "-r", tree.toString(), b.resolve("copied").toString());
        run(temp, "diff", "-r", "--no-dereference", changed.toString(), b.resolve("synced").toString());
        assertThat(Files.readString(b.resolve("notebook.ipynb"))).isEqualTo("{\"cells\": [0, 1, 2]}");
        assertThat(Files.exists(b.resolve("notebook.ipynb.tmp"))).isFalse();
    }
}
