package dev.sail.volumes.fuse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Checks that FUSE can run here before a mount tries: the kernel device and the user-space
 * library of the chosen binding. Failures name what is missing and the packages that provide it.
 */
public final class FuseEnvironment {
    public static final String INSTALL_HINT = "apt-get install -y fuse3 libfuse3-3";
    public static final String INSTALL_HINT_FUSE2 = "apt-get install -y fuse3 libfuse2";

    private FuseEnvironment() {
    }

    /** The libfuse3 shared library for this machine's architecture, if installed. */
    public static Optional<Path> libfuse3() {
        return find("libfuse3.so.3", "libfuse3.so");
    }

    /** The libfuse2 shared library for this machine's architecture, if installed. */
    public static Optional<Path> libfuse2() {
        return find("libfuse.so.2", "libfuse.so");
    }

    private static Optional<Path> find(String... names) {
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86_64-linux-gnu";
            case "aarch64", "arm64" -> "aarch64-linux-gnu";
            default -> System.getProperty("os.arch") + "-linux-gnu";
        };
        for (String dir : List.of("/usr/lib/" + arch, "/lib/" + arch, "/usr/lib64", "/usr/lib", "/usr/local/lib")) {
            for (String name : names) {
                Path candidate = Path.of(dir, name);
                if (Files.exists(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Throws unless FUSE can run with {@code binding} ({@code jfuse} needs libfuse3, {@code jnr} libfuse2).
     *
     * @throws VolumeFuseException naming what is missing and how to install it
     */
    public static void check(String binding) {
        check(binding, Path.of("/dev/fuse"), libfuse3(), libfuse2());
        if (findExecutable("fusermount3").isEmpty() && findExecutable("fusermount").isEmpty()) {
            throw new VolumeFuseException("FUSE cannot run here: fusermount3 is not installed: " + INSTALL_HINT);
        }
    }

    /** The check of {@link #check(String)} over given facts (for tests). */
    static void check(String binding, Path devFuse, Optional<Path> libfuse3, Optional<Path> libfuse2) {
        if (!Files.exists(devFuse)) {
            throw new VolumeFuseException("FUSE cannot run here: " + devFuse + " is missing (load the fuse kernel module, "
                    + "or give the sandbox access to /dev/fuse) and install the user-space tools: " + INSTALL_HINT);
        }
        if ("jnr".equals(binding)) {
            if (libfuse2.isEmpty()) {
                throw new VolumeFuseException("FUSE cannot run here: libfuse2 (libfuse.so.2) is not installed: " + INSTALL_HINT_FUSE2);
            }
        } else if (libfuse3.isEmpty()) {
            throw new VolumeFuseException("FUSE cannot run here: libfuse3 (libfuse3.so.3) is not installed: " + INSTALL_HINT);
        }
    }

    static Optional<Path> findExecutable(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(":")) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Unmounts {@code mountpoint} with fusermount3 (or fusermount); answers whether it succeeded. */
    public static boolean fusermountUnmount(Path mountpoint) {
        String tool = findExecutable("fusermount3").map(Path::toString).orElse("fusermount");
        try {
            Process process = new ProcessBuilder(tool, "-u", "-z", mountpoint.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return process.waitFor() == 0;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** True when {@code mountpoint} is a mount point now (listed in /proc/self/mounts). */
    public static boolean isMounted(Path mountpoint) {
        try {
            String target = mountpoint.toAbsolutePath().normalize().toString();
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] fields = line.split(" ");
                if (fields.length > 1 && fields[1].replace("\\040", " ").equals(target)) {
                    return true;
                }
            }
            return false;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * Lets the kernel read ahead {@code kib} KiB in a mount's files: the FUSE default (128 KiB) makes a
     * large sequential read reach the daemon as 128 KiB requests, eight times as many as 1 MiB ones.
     * Writes {@code /sys/class/bdi/MAJOR:MINOR/read_ahead_kb} for the mount's device; answers false, and
     * changes nothing, where that is not allowed (not root, no sysfs).
     */
    public static boolean setReadAhead(Path mountpoint, int kib) {
        try {
            long dev = ((Number) Files.getAttribute(mountpoint, "unix:dev")).longValue();
            long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
            long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
            Files.writeString(Path.of("/sys/class/bdi", major + ":" + minor, "read_ahead_kb"), Integer.toString(kib));
            return true;
        } catch (java.io.IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return false;
        }
    }
}
