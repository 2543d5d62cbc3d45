package dev.sail.volumes.benchmarks.harness;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Another S3-backed FUSE file system that the workloads are measured against, mounting one bucket
 * of the harness's S3 server. Implementations are stateless apart from their configuration.
 */
interface Peer {
    /** The name in results.json ({@code rclone}, {@code s3fs}). */
    String name();

    /** The Debian package that provides it. */
    String debianPackage();

    /** The program whose presence means the package is installed. */
    String program();

    /** Mounts {@code bucket} under {@code scratch} (its cache and log go there too); ready to use when this returns. */
    FuseProcess mount(String bucket, Path scratch);

    /**
     * Installs the missing peers with apt-get; answers, for each peer that is still not usable, why.
     * Never throws: a peer that cannot be installed is reported, not fatal.
     */
    static Map<String, String> install(List<Peer> peers) {
        List<Peer> missing = peers.stream().filter(p -> !Shell.onPath(p.program())).toList();
        if (!missing.isEmpty()) {
            List<String> command = new java.util.ArrayList<>(List.of("apt-get", "install", "-y", "-q"));
            missing.forEach(p -> command.add(p.debianPackage()));
            Map<String, String> env = Map.of("DEBIAN_FRONTEND", "noninteractive");
            Shell.Outcome outcome = Shell.run(command, env, java.time.Duration.ofMinutes(10));
            if (!outcome.ok()) {
                Shell.run(List.of("apt-get", "update", "-q"), env, java.time.Duration.ofMinutes(10));
                Shell.run(command, env, java.time.Duration.ofMinutes(10));
            }
        }
        Map<String, String> problems = new java.util.LinkedHashMap<>();
        for (Peer peer : peers) {
            if (!Shell.onPath(peer.program())) {
                problems.put(peer.name(), peer.name() + " is not installed and 'apt-get install -y " + peer.debianPackage() + "' failed");
            }
        }
        return problems;
    }
}
