package dev.sail.volumes.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.testkit.ServiceFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Load: {@code load.clients} (default 32) simulated guests, each with its own HTTP client and chunk
 * transfer, against one service for {@code load.seconds} (default 15; the longer run in
 * docs/reliability.md sets it higher), mixing commits through the real commit path (mostly to their own
 * paths, a fifth to four shared paths) and reloads (deltas). What holds: no request fails, every path
 * ends as the acknowledged commit with the highest sequence wrote it, every acknowledged commit is in the
 * history under its sequence and id, the volume holds exactly one commit per acknowledged key, and the
 * bytes read back match. The figures go to stdout and {@code target/load-figures.txt}.
 */
class LoadIT {
    @Test
    void manyClientsCommittingAndReloadingLoseNothing() throws Exception {
        int clients = Integer.getInteger("load.clients", 32);
        Duration duration = Duration.ofSeconds(Long.getLong("load.seconds", 15));
        try (ServiceFixture service = ServiceFixture.builder().chunkLayout(ClientCommits.SMALL).start();
             RawApi raw = new RawApi(service.baseUrl())) {
            LoadDriver driver = new LoadDriver(service, VolumeName.of("load"), clients, duration, 10_000,
                    Duration.ofSeconds(120));

            LoadDriver.Figures figures = driver.run();

            System.out.println("LoadIT: " + figures);
            Files.writeString(Path.of("target", "load-figures.txt"), figures + System.lineSeparator());
            assertThat(driver.errors()).as("errors during the run").isEmpty();
            assertThat(figures.commits()).as("commits acknowledged").isGreaterThanOrEqualTo(clients);
            assertThat(figures.reloads()).as("reloads").isPositive();
            assertThat(driver.lastSuccess()).as("every client committed").hasSize(clients);
            driver.verify(raw, service.apiKey());
            driver.verifyBytes(40);
        }
    }
}
