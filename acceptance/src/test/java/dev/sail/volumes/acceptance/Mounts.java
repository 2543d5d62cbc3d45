package dev.sail.volumes.acceptance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the kernel has mounted, read from {@code /proc/self/mounts}, and a last-resort unmount for cleanup. */
final class Mounts {
    private Mounts() {
    }

    /** True when {@code path} is a mount point now. */
    static boolean isMountPoint(Path path) {
        String target = path.toAbsolutePath().normalize().toString();
        return fuseMountPoints().contains(target) || allMountPoints().contains(target);
    }

    /** Every FUSE mount point (any {@code fuse*} type), as absolute paths. */
    static List<String> fuseMountPoints() {
        return lines().stream().map(l -> l.split(" ")).filter(f -> f.length > 2 && f[2].startsWith("fuse"))
                .map(f -> f[1].replace("\\040", " ")).toList();
    }

    private static List<String> allMountPoints() {
        return lines().stream().map(l -> l.split(" ")).filter(f -> f.length > 1).map(f -> f[1].replace("\\040", " ")).toList();
    }

    private static List<String> lines() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mounts"));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read /proc/self/mounts", e);
        }
    }

    /** {@code fusermount3 -u -z}: detaches a mount whose daemon is gone. */
    static void forceUnmount(Path mountpoint) {
        try {
            new ProcessBuilder("fusermount3", "-u", "-z", mountpoint.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run fusermount3 for " + mountpoint, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
