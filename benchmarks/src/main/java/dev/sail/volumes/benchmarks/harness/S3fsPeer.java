package dev.sail.volumes.benchmarks.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

/**
 * {@code s3fs} with its defaults (no local data cache; uploads when a file is closed), path-style,
 * SigV4, against the harness's S3 server. Credentials go through a private password file.
 * Immutable; each mount is its own process.
 */
final class S3fsPeer implements Peer {
    private final MeteredS3Server s3;

    S3fsPeer(MeteredS3Server s3) {
        this.s3 = s3;
    }

    @Override
    public String name() {
        return "s3fs";
    }

    @Override
    public String debianPackage() {
        return "s3fs";
    }

    @Override
    public String program() {
        return "s3fs";
    }

    @Override
    public FuseProcess mount(String bucket, Path scratch) {
        Path mountpoint = scratch.resolve("mnt");
        Path passwd = scratch.resolve("passwd-s3fs");
        try {
            Files.createDirectories(scratch);
            Files.writeString(passwd, s3.accessKey() + ":" + s3.secretKey() + "\n");
            Files.setPosixFilePermissions(passwd, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = List.of("s3fs", bucket, mountpoint.toString(), "-f",
                "-o", "url=" + s3.endpoint(),
                "-o", "use_path_request_style",
                "-o", "endpoint=" + MeteredS3Server.REGION,
                "-o", "sigv4",
                "-o", "passwd_file=" + passwd,
                "-o", "dbglevel=warn");
        return FuseProcess.start(name(), command, Map.of(), mountpoint, scratch, () -> true);
    }
}
