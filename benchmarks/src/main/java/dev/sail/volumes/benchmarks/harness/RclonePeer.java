package dev.sail.volumes.benchmarks.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code rclone mount} with its full VFS cache ({@code --vfs-cache-mode full}), uploading as soon as a
 * file is closed ({@code --vfs-write-back 0s}, its fastest setting). Configured entirely through the
 * environment (remote {@code bench:}), path-style, against the harness's S3 server.
 * Immutable; each mount is its own process.
 */
final class RclonePeer implements Peer {
    private final MeteredS3Server s3;

    RclonePeer(MeteredS3Server s3) {
        this.s3 = s3;
    }

    @Override
    public String name() {
        return "rclone";
    }

    @Override
    public String debianPackage() {
        return "rclone";
    }

    @Override
    public String program() {
        return "rclone";
    }

    @Override
    public FuseProcess mount(String bucket, Path scratch) {
        Path mountpoint = scratch.resolve("mnt");
        Path config = scratch.resolve("rclone.conf");
        try {
            Files.createDirectories(scratch);
            Files.writeString(config, "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = List.of("rclone", "mount", "bench:" + bucket, mountpoint.toString(),
                "--config", config.toString(),
                "--vfs-cache-mode", "full", "--vfs-write-back", "0s",
                "--cache-dir", scratch.resolve("cache").toString(),
                "--s3-no-check-bucket", "--log-level", "NOTICE");
        Map<String, String> env = Map.of(
                "RCLONE_CONFIG_BENCH_TYPE", "s3",
                "RCLONE_CONFIG_BENCH_PROVIDER", "Other",
                "RCLONE_CONFIG_BENCH_ENV_AUTH", "false",
                "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID", s3.accessKey(),
                "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY", s3.secretKey(),
                "RCLONE_CONFIG_BENCH_ENDPOINT", s3.endpoint().toString(),
                "RCLONE_CONFIG_BENCH_REGION", MeteredS3Server.REGION,
                "RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE", "true");
        return FuseProcess.start(name(), command, env, mountpoint, scratch, () -> true);
    }
}
