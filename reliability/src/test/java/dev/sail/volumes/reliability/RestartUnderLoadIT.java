package dev.sail.volumes.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.testkit.ServiceFixture;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The service restarted three times (graceful stop, 3 s down, start on the same data and port) under a steady load
 * of commits and reloads from 8 simulated guests. What holds: no acknowledged commit is lost, a commit
 * whose answer was lost to the restart is retried under its idempotency key and lands once, every path
 * ends as the last acknowledged write, and every client commits again after the last restart without
 * anyone's help.
 */
class RestartUnderLoadIT {
    private static final int CLIENTS = 8;
    private static final int RESTARTS = 3;

    @Test
    void commitsAndReloadsSurviveRestartsAndEveryClientRecovers() throws Exception {
        try (ServiceFixture service = ServiceFixture.builder().chunkLayout(ClientCommits.SMALL).start();
             RawApi raw = new RawApi(service.baseUrl())) {
            LoadDriver driver = new LoadDriver(service, VolumeName.of("restarts"), CLIENTS, Duration.ofSeconds(18), 10_000,
                    Duration.ofSeconds(10));
            CompletableFuture<LoadDriver.Figures> load = CompletableFuture.supplyAsync(() -> {
                try {
                    return driver.run();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Instant lastRestart = Instant.now();
            for (int i = 1; i <= RESTARTS; i++) {
                int before = driver.acknowledged();
                // Restart only under load: wait for a few commits since the last restart.
                await().atMost(Duration.ofSeconds(60)).until(() -> driver.acknowledged() >= before + CLIENTS / 2 || load.isDone());
                // Down longer than the clients' quick reconnect attempts (about 2 s), so that commits in
                // flight notice the outage and are retried under their idempotency keys.
                service.restartOnSamePort(Duration.ofSeconds(3));
                lastRestart = Instant.now();
            }

            LoadDriver.Figures figures = load.get(180, TimeUnit.SECONDS);

            System.out.println("RestartUnderLoadIT: " + figures);
            assertThat(driver.errors()).as("errors during the run").isEmpty();
            assertThat(figures.retried()).as("commits retried across a restart").isPositive();
            Instant recoveredAfter = lastRestart;
            assertThat(driver.lastSuccess()).as("clients").hasSize(CLIENTS)
                    .allSatisfy((client, last) -> assertThat(last).as("client %d committed after the last restart", client)
                            .isAfter(recoveredAfter));
            driver.verify(raw, service.apiKey());
            driver.verifyBytes(20);
        }
    }
}
