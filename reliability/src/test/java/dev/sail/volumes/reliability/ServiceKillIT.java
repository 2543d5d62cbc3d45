package dev.sail.volumes.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.client.CommitResult;
import dev.sail.volumes.client.HttpChunkTransfer;
import dev.sail.volumes.client.HttpVolumeService;
import dev.sail.volumes.client.ServiceUnavailableException;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.client.VolumeInfo;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.testkit.FaultyS3Proxy;
import dev.sail.volumes.testkit.FaultyS3Proxy.Fault;
import dev.sail.volumes.testkit.FaultyS3Proxy.Rule;
import dev.sail.volumes.testkit.S3ServerFixture;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service killed with {@code kill -9} (a separate process) at each step of a commit made through the
 * real client: before the upload negotiation, while the chunks upload (straight to S3, delayed by a
 * proxy so the kill lands mid-transfer), and while a large commit is being written. What survives: the
 * volume holds each commit whole or not at all, the client's rerun (same idempotency key) converges to
 * exactly one commit, and a rerun after uploads that landed uploads nothing again. The service's log
 * across every run holds no presigned URL signature and no API key.
 */
class ServiceKillIT {
    private static final int BIG_COMMIT_PATHS = 3000;
    private static final int DIRECTORIES = 40;

    @TempDir
    static Path temp;
    static S3ServerFixture s3;
    static FaultyS3Proxy faults;
    static ServiceProcess service;
    static HttpVolumeService client;
    static HttpChunkTransfer transfer;
    static ClientCommits commits;

    @BeforeAll
    static void start() {
        s3 = S3ServerFixture.startTransient();
        faults = FaultyS3Proxy.start(s3.endpoint());
        service = new ServiceProcess(temp.resolve("data"), s3, faults.endpoint());
        service.start();
        client = new HttpVolumeService(service.url(), service.apiKey(), Duration.ofSeconds(20));
        transfer = new HttpChunkTransfer(4, 3, Duration.ofMillis(20), Duration.ofSeconds(20));
        commits = new ClientCommits(client, transfer, ChunkLayout.STANDARD);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            String log = service.log();
            assertThat(log).as("service log").contains("Volume service listening")
                    .doesNotContain("X-Amz-Signature").doesNotContain(service.apiKey());
        } finally {
            client.close();
            transfer.close();
            service.close();
            faults.close();
            s3.close();
        }
    }

    @Test
    void killedBeforeTheNegotiationTheRerunCommitsOnce() throws Exception {
        VolumeName volume = VolumeName.of("before");
        client.createVolumeIfMissing(volume);
        Map<VolumePath, byte[]> files = files(4, 1);

        service.kill();
        assertThatThrownBy(() -> commits.commit(volume, 0, "k", files))
                .isInstanceOfSatisfying(ServiceUnavailableException.class, e -> assertThat(e.code()).isEqualTo("unavailable"))
                .hasMessageContaining("unreachable for POST /v1/volumes/before/uploads");
        service.start();

        CommitResult result = commits.commit(volume, 0, "k", files);
        assertThat(result.seq()).isEqualTo(1);
        assertWhole(volume, files);
    }

    @Test
    void killedDuringUploadsTheRerunUploadsNothingAgainAndCommitsOnce() throws Exception {
        VolumeName volume = VolumeName.of("uploads");
        client.createVolumeIfMissing(volume);
        Map<VolumePath, byte[]> files = files(6, 2);
        faults.inject(Rule.on("PUT", Fault.DELAY).delay(Duration.ofSeconds(1)));
        try {
            long putsBefore = faults.requests("PUT");
            CompletableFuture<UploadPlan> uploading = CompletableFuture.supplyAsync(() -> {
                try {
                    return commits.upload(volume, files);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> faults.requests("PUT") > putsBefore);
            service.kill();
            // The bytes go straight to S3: the uploads finish without the service.
            assertThat(uploading.get(30, TimeUnit.SECONDS).uploads()).hasSize(files.size());
            assertThatThrownBy(() -> client.commit(volume, commits.proposal(0, "k", files)))
                    .isInstanceOf(ServiceUnavailableException.class);
        } finally {
            faults.clearFaults();
            if (!isUp()) {
                service.start();
            }
        }
        s3.resetCounters();

        UploadPlan rerun = commits.upload(volume, files);
        CommitResult result = client.commit(volume, commits.proposal(0, "k", files));

        assertThat(rerun.uploads()).as("everything landed before the kill").isEmpty();
        assertThat(rerun.present()).hasSize(files.size());
        assertThat(s3.counters().putRequests()).as("PUTs in the rerun").isZero();
        assertThat(result.seq()).isEqualTo(1);
        assertWhole(volume, files);
    }

    @Test
    void killedWhileALargeCommitIsWrittenTheVolumeHoldsItWholeOrNotAtAll() throws Exception {
        VolumeName warm = VolumeName.of("warm");
        client.createVolumeIfMissing(warm);
        long started = System.nanoTime();
        CommitResult reference = client.commit(warm, bigCommit("warm"));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        int expectedPaths = client.delta(warm, 0, 1, null, 10_000).items().size();
        assertThat(expectedPaths).isEqualTo(reference.applied()).isEqualTo(BIG_COMMIT_PATHS + DIRECTORIES);

        List<String> outcomes = new ArrayList<>();
        for (double fraction : new double[] {0.0, 0.6}) {
            VolumeName volume = VolumeName.of("big-" + (int) (fraction * 10));
            client.createVolumeIfMissing(volume);
            CommitProposal proposal = bigCommit(volume.value());
            CompletableFuture<CommitResult> committing = CompletableFuture.supplyAsync(() -> client.commit(volume, proposal));
            Duration delay = Duration.ofNanos((long) (took.toNanos() * fraction));
            if (!delay.isZero()) {
                await().pollDelay(delay).atMost(delay.plusSeconds(5)).until(() -> true);
            }
            service.kill();
            boolean acknowledged = committing.handle((r, e) -> e == null).get(60, TimeUnit.SECONDS);
            service.start();

            long head = client.findVolume(volume).map(VolumeInfo::headSeq).orElseThrow();
            assertThat(head).as("the kill at %.0f%% left one commit or none", fraction * 100).isBetween(0L, 1L);
            if (acknowledged) {
                assertThat(head).as("an acknowledged commit survives the kill").isEqualTo(1);
            }
            if (head == 1) {
                assertThat(client.delta(volume, 0, 1, null, 10_000).items()).as("the commit is whole").hasSize(expectedPaths);
            }
            CommitResult rerun = client.commit(volume, proposal);
            assertThat(rerun.seq()).as("the rerun converges on one commit").isEqualTo(1);
            assertThat(rerun.replayed()).as("the rerun replays iff the commit had landed").isEqualTo(head == 1);
            assertThat(client.delta(volume, 0, 1, null, 10_000).items()).hasSize(expectedPaths);
            outcomes.add(String.format("kill at %.0f%% of %d ms: %s", fraction * 100, took.toMillis(),
                    head == 1 ? "landed whole" : "absent"));
        }
        System.out.println("ServiceKillIT metadata-write outcomes: " + outcomes);
    }

    private static CommitProposal bigCommit(String key) {
        List<Change> changes = new ArrayList<>();
        for (int i = 0; i < BIG_COMMIT_PATHS; i++) {
            changes.add(new Change(VolumePath.of("d" + (i % DIRECTORIES) + "/link-" + i), new Entry.Symlink("target-" + i, i)));
        }
        return new CommitProposal(0, key, "reliability", changes);
    }

    private static Map<VolumePath, byte[]> files(int count, long seed) {
        Random random = new Random(seed);
        Map<VolumePath, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            byte[] bytes = new byte[16 * 1024 + i];
            random.nextBytes(bytes);
            files.put(VolumePath.of("dir/f" + i), bytes);
        }
        return files;
    }

    private static void assertWhole(VolumeName volume, Map<VolumePath, byte[]> files) throws IOException {
        assertThat(client.findVolume(volume)).map(VolumeInfo::headSeq).contains(1L);
        for (Map.Entry<VolumePath, byte[]> file : files.entrySet()) {
            assertThat(commits.read(volume, file.getKey(), 1)).as("%s", file.getKey()).isEqualTo(file.getValue());
        }
    }

    private static boolean isUp() {
        try {
            client.listVolumes();
            return true;
        } catch (VolumeServiceException e) {
            return false;
        }
    }
}
