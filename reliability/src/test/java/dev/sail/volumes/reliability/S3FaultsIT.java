package dev.sail.volumes.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.CommitResult;
import dev.sail.volumes.client.HttpChunkTransfer;
import dev.sail.volumes.client.MissingChunksException;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.client.VolumeInfo;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.client.ServiceUnavailableException;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.testkit.FaultyS3Proxy;
import dev.sail.volumes.testkit.FaultyS3Proxy.Fault;
import dev.sail.volumes.testkit.FaultyS3Proxy.Rule;
import dev.sail.volumes.testkit.ServiceFixture;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * S3 faults in the middle of a commit, through the real client's commit path (plan, then
 * {@link HttpChunkTransfer#uploadAll}, then commit) with a {@link FaultyS3Proxy} between everyone and
 * S3: 500 {@code InternalError}, 503 {@code SlowDown}, timeouts, connection resets, and PUTs that land
 * but whose answer is lost.
 *
 * <p>What survives: a transient fault is retried and the commit completes with every byte right; a lasting
 * fault fails the upload after exactly the configured attempts with an error naming the chunk and the
 * S3 answer, the volume is unchanged, and the rerun uploads only the chunks S3 does not hold (counted
 * at the S3 server). An S3 that refuses the service's own checks fails the commit with 503
 * {@code storage_unavailable}, and the retry of the same commit succeeds once S3 is back.
 */
class S3FaultsIT {
    private static final int CHUNKS = 8;
    private static final int ATTEMPTS = 3;
    private static final Duration TIMEOUT = Duration.ofMillis(500);

    static ServiceFixture service;
    static VolumeService client;
    static HttpChunkTransfer transfer;
    static ClientCommits commits;
    static FaultyS3Proxy faults;
    static int volumes;

    @BeforeAll
    static void start() {
        service = ServiceFixture.builder().chunkLayout(ClientCommits.SMALL).withFaultyS3().start();
        client = service.client();
        transfer = new HttpChunkTransfer(4, ATTEMPTS, Duration.ofMillis(20), TIMEOUT);
        commits = new ClientCommits(client, transfer, ClientCommits.SMALL);
        faults = service.faults();
    }

    @AfterAll
    static void stop() {
        transfer.close();
        service.close();
    }

    @AfterEach
    void clearFaults() {
        faults.clearFaults();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Fault.class)
    void aTransientFaultIsRetriedAndTheCommitCompletesWhole(Fault fault) throws IOException {
        VolumeName volume = newVolume();
        byte[] content = random(CHUNKS * 4096);
        Map<VolumePath, byte[]> files = Map.of(VolumePath.of("data.bin"), content);
        faults.inject(Rule.on("PUT", fault).times(2).delay(TIMEOUT.multipliedBy(3)));
        service.s3().resetCounters();

        CommitResult result = commits.commit(volume, 0, "k", files);

        assertThat(result.seq()).isEqualTo(1);
        assertThat(faults.injected(fault)).as("both faults hit").isGreaterThanOrEqualTo(2);
        assertThat(commits.read(volume, VolumePath.of("data.bin"), 1)).isEqualTo(content);
        long expectedPuts = switch (fault) {
            // S3 never saw the faulted requests: every chunk landed once.
            case INTERNAL_ERROR, SLOW_DOWN, RESET -> CHUNKS;
            // The faulted requests landed too (one of them maybe after the client gave up).
            case LOSE_ANSWER, DELAY -> CHUNKS + 2;
        };
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(service.s3().counters().putRequests()).as("PUTs S3 served").isEqualTo(expectedPuts));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Fault.class)
    void aLastingFaultFailsClearlyAndTheRerunUploadsOnlyWhatIsMissing(Fault fault) throws IOException {
        VolumeName volume = newVolume();
        byte[] content = random(CHUNKS * 4096);
        Map<VolumePath, byte[]> files = Map.of(VolumePath.of("data.bin"), content);
        ChunkId victim = commits.chunk(content).entry().chunks().get(3);
        faults.inject(Rule.on("PUT", fault).onPath(victim.toString()).delay(TIMEOUT.multipliedBy(3)));

        assertThatThrownBy(() -> commits.upload(volume, files))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("The upload of chunk " + victim + " failed after " + ATTEMPTS + " attempts")
                .hasMessageContaining(switch (fault) {
                    case INTERNAL_ERROR -> "HTTP 500 InternalError";
                    case SLOW_DOWN -> "HTTP 503 SlowDown";
                    case DELAY -> "SocketTimeoutException: Read timed out";
                    case RESET, LOSE_ANSWER -> "SocketException: Connection reset";
                })
                .hasMessageNotContaining("X-Amz-Signature");
        assertThat(faults.injected(fault)).as("each attempt met the fault").isGreaterThanOrEqualTo(ATTEMPTS);
        if (fault != Fault.LOSE_ANSWER && fault != Fault.DELAY) {
            // Committing anyway is refused, naming the chunk that never landed, and records nothing.
            assertThatThrownBy(() -> client.commit(volume, commits.proposal(0, "k", files)))
                    .isInstanceOfSatisfying(MissingChunksException.class, e -> assertThat(e.chunks()).contains(victim));
        }
        assertThat(client.findVolume(volume)).map(VolumeInfo::headSeq).contains(0L);

        faults.clearFaults();
        // Delayed PUTs the client gave up on may still land: let them, then count only the rerun.
        await().atMost(Duration.ofSeconds(10)).until(() -> faults.connectionsInFlight() == 0);
        service.s3().resetCounters();
        UploadPlan rerun = commits.upload(volume, files);
        CommitResult result = client.commit(volume, commits.proposal(0, "k", files));

        Set<ChunkId> all = new HashSet<>(commits.chunk(content).entry().chunks());
        Set<ChunkId> offered = new HashSet<>(rerun.present());
        rerun.uploads().stream().map(PresignedUrl::id).forEach(offered::add);
        assertThat(offered).as("the rerun's plan covers every chunk").isEqualTo(all);
        assertThat(rerun.present()).as("chunks that landed the first time are not uploaded again").isNotEmpty();
        assertThat(rerun.uploads().size()).as("only missing chunks are uploaded").isLessThan(CHUNKS);
        if (fault == Fault.LOSE_ANSWER) {
            assertThat(rerun.present()).as("the PUT whose answer was lost had landed").contains(victim);
        } else if (fault != Fault.DELAY) {
            assertThat(rerun.uploads()).extracting(PresignedUrl::id).contains(victim);
        }
        assertThat(service.s3().counters().putRequests()).as("PUTs S3 served in the rerun").isEqualTo(rerun.uploads().size());
        assertThat(result.seq()).isEqualTo(1);
        assertThat(commits.read(volume, VolumePath.of("data.bin"), 1)).isEqualTo(content);
    }

    @Test
    void anS3RefusingTheServicesChecksFailsTheCommitWith503AndTheSameCommitSucceedsLater() throws IOException {
        VolumeName volume = newVolume();
        byte[] content = random(2 * 4096);
        Map<VolumePath, byte[]> files = Map.of(VolumePath.of("f"), content);
        commits.upload(volume, files);
        // The commit checks chunks not yet in the org's registry with HEAD: S3 refuses every one.
        faults.inject(Rule.on("HEAD", Fault.INTERNAL_ERROR));

        assertThatThrownBy(() -> client.commit(volume, commits.proposal(0, "same-key", files)))
                .isInstanceOfSatisfying(ServiceUnavailableException.class, e -> {
                    assertThat(e.status()).isEqualTo(503);
                    assertThat(e.code()).isEqualTo("storage_unavailable");
                    assertThat(e.getMessage()).startsWith("Cannot check chunk ").contains("in S3 bucket");
                });
        assertThat(client.findVolume(volume)).map(VolumeInfo::headSeq).contains(0L);

        faults.clearFaults();
        CommitResult result = client.commit(volume, commits.proposal(0, "same-key", files));
        assertThat(result.seq()).isEqualTo(1);
        assertThat(result.replayed()).isFalse();
        assertThat(commits.read(volume, VolumePath.of("f"), 1)).isEqualTo(content);
    }

    private static synchronized VolumeName newVolume() {
        VolumeName name = VolumeName.of("faults-" + volumes++);
        client.createVolumeIfMissing(name);
        return name;
    }

    private static byte[] random(int size) {
        byte[] bytes = new byte[size];
        new Random(size * 31L + volumes).nextBytes(bytes);
        return bytes;
    }
}
