package dev.sail.volumes.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sail.volumes.client.CommitResult;
import dev.sail.volumes.client.HttpVolumeService;
import dev.sail.volumes.client.Page;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import dev.sail.volumes.service.cli.ServiceMain;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the service (SIGKILL, a separate process) while commits stream in, restarts it on the same data,
 * and checks that every acknowledged commit survived and that no commit landed partly.
 */
class CrashIT {
    private static final int PATHS_PER_COMMIT = 20;

    @TempDir
    Path temp;

    @Test
    void killDuringCommitsLosesNoAcknowledgedCommitAndLeavesNoPartialOne() throws Exception {
        // The log sits beside the data dir inside the temp dir, so both go when the test ends.
        Path data = temp.resolve("data");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // RocksDB inflates its 17 MiB library into java.io.tmpdir, and the SIGKILL below would leave it there.
                "--enable-native-access=ALL-UNNAMED", "-Djava.io.tmpdir=" + Files.createDirectories(temp.resolve("tmp")),
                "-cp", System.getProperty("java.class.path"),
                ServiceMain.class.getName(), "serve", "--data", data.toString(), "--port", "0")
                .redirectErrorStream(true)
                .redirectOutput(temp.resolve("serve.log").toFile())
                .start();
        List<CommitResult> acknowledged = new CopyOnWriteArrayList<>();
        VolumeName name = VolumeName.of("crash");
        try {
            Path urlFile = data.resolve(VolumeServer.URL_FILE);
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(urlFile) || !process.isAlive());
            assertThat(process.isAlive()).as("the service started").isTrue();
            URI url = URI.create(Files.readString(urlFile).trim());
            String key = Files.readString(data.resolve(VolumeServer.API_KEY_FILE)).trim();
            try (ExecutorService committers = Executors.newFixedThreadPool(4);
                 HttpVolumeService client = new HttpVolumeService(url, key, Duration.ofSeconds(5))) {
                client.createVolumeIfMissing(name);
                for (int w = 0; w < 4; w++) {
                    int writer = w;
                    committers.submit(() -> {
                        for (int n = 0; ; n++) {
                            List<Change> changes = new ArrayList<>();
                            for (int i = 0; i < PATHS_PER_COMMIT; i++) {
                                changes.add(new Change(VolumePath.of("w" + writer + "-" + n + "/p" + i), new Entry.Symlink("t" + i, n)));
                            }
                            try {
                                acknowledged.add(client.commit(name, new CommitProposal(0, "w" + writer + "-" + n, "m", changes)));
                            } catch (VolumeServiceException e) {
                                return; // the service is gone
                            }
                        }
                    });
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= 40);
                process.destroyForcibly();
                assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
                committers.shutdown();
                assertThat(committers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            process.destroyForcibly();
        }

        try (RunningService service = new RunningService(data, ServiceConfig.defaults(data))) {
            HttpVolumeService client = service.client();
            long head = client.findVolume(name).orElseThrow().headSeq();
            assertThat(head).as("every acknowledged commit survived").isGreaterThanOrEqualTo(acknowledged.size());
            for (CommitResult ack : acknowledged) {
                assertThat(client.delta(name, ack.seq() - 1, ack.seq(), null, 100).items()).hasSize(PATHS_PER_COMMIT + 1);
            }
            for (long seq = 1; seq <= head; seq++) {
                Page<Versioned> changes = client.delta(name, seq - 1, seq, null, 100);
                assertThat(changes.items()).as("commit %d is whole", seq).hasSize(PATHS_PER_COMMIT + 1);
            }
        }
    }
}
