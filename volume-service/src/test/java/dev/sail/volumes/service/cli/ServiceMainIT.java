package dev.sail.volumes.service.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.service.ServiceConfig;
import dev.sail.volumes.service.VolumeServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** First start writes the keys (0600, stored hashed only), and {@code admin create-org} prints a working key last. */
class ServiceMainIT {
    @TempDir
    Path data;

    @Test
    void firstStartWritesKeysAndCreateOrgPrintsTheNewKeyLast() throws IOException {
        String orgKey;
        String adminKey;
        ServiceConfig config = ServiceConfig.defaults(data).withPort(0).withGc(Duration.ZERO, Duration.ZERO);
        try (VolumeServer server = VolumeServer.start(config)) {
            orgKey = server.defaultOrgKey();
            adminKey = server.adminKey();
            assertThat(orgKey).startsWith("sk_").hasSizeGreaterThan(40);
            for (String file : List.of(VolumeServer.API_KEY_FILE, VolumeServer.ADMIN_KEY_FILE)) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(file)))).isEqualTo("rw-------");
            }

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cli = ServiceMain.commandLine();
            cli.setOut(new PrintWriter(out));
            cli.setErr(new PrintWriter(err));
            int status = cli.execute("admin", "create-org", "acme", "--data", data.toString());
            assertThat(status).as(err.toString()).isZero();
            List<String> lines = out.toString().lines().toList();
            assertThat(lines.getLast()).startsWith("sk_").isNotEqualTo(orgKey);

            int again = cli.execute("admin", "create-org", "acme", "--data", data.toString());
            assertThat(again).isEqualTo(1);
            assertThat(err.toString()).contains("sail-volume: cannot create org 'acme': Cannot create org 'acme': it exists");
        }
        try (VolumeServer restarted = VolumeServer.start(config)) {
            assertThat(restarted.defaultOrgKey()).as("keys are created once").isEqualTo(orgKey);
            assertThat(restarted.adminKey()).isEqualTo(adminKey);
        }
        try (Stream<Path> files = Files.walk(data.resolve("manifests"))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
                assertThat(bytes).as("%s holds no plaintext key", file).doesNotContain(orgKey).doesNotContain(adminKey);
            }
        }
    }
}
