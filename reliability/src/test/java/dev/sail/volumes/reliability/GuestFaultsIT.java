package dev.sail.volumes.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.client.HttpChunkTransfer;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.client.control.ControlClient;
import dev.sail.volumes.client.control.MountStatus;
import dev.sail.volumes.client.control.StashInfo;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.testkit.FaultyS3Proxy.Fault;
import dev.sail.volumes.testkit.FaultyS3Proxy.Rule;
import dev.sail.volumes.testkit.ServiceFixture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest daemon (a real FUSE mount, its own process) killed with {@code kill -9}: with uncommitted
 * data, while a commit uploads (PUTs held by a proxy), and while a reload runs; and its chunk cache
 * damaged on disk. What survives: after a remount on the same state dir every uncommitted byte is there
 * (dirty, or in a stash when the reload had already moved it), committed data reads back whole, the next
 * commit publishes everything, and a truncated or bit-flipped cache file is detected by its hash and
 * fetched again instead of being served. The control socket is owner-only (0600).
 */
class GuestFaultsIT {
    /** 1 MiB chunks: several per file, few files in the cache. */
    static final ChunkLayout LAYOUT = new ChunkLayout(1 << 20, 1L << 30, 64 << 20);

    static ServiceFixture service;
    static VolumeService client;
    static HttpChunkTransfer transfer;
    static ClientCommits commits;

    @TempDir
    Path temp;
    Guests guests;

    @BeforeAll
    static void start() {
        service = ServiceFixture.builder().chunkLayout(LAYOUT).withFaultyS3().start();
        client = service.client();
        transfer = new HttpChunkTransfer();
        commits = new ClientCommits(client, transfer, LAYOUT);
    }

    @AfterAll
    static void stop() {
        transfer.close();
        service.close();
    }

    @BeforeEach
    void guests() throws IOException {
        guests = new Guests(service, temp);
    }

    @AfterEach
    void cleanUp() {
        service.faults().clearFaults();
        guests.close();
    }

    @Test
    void killedWithDirtyDataInTheMiddleOfACommitLosesNothingAndTheNextCommitPublishesIt() throws Exception {
        Path mnt = temp.resolve("mnt");
        Path state = temp.resolve("state");
        Process daemon = guests.mount("guest-kill", mnt, state);
        ControlClient control = guests.control(mnt);
        assertThat(Files.getPosixFilePermissions(control.socket())).as("control socket mode")
                .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
        byte[] committed = random(2 << 20, 1);
        Files.write(mnt.resolve("committed.bin"), committed);
        assertThat(control.commit((a, b, c, d) -> { }).seq()).isEqualTo(1);
        byte[] dirty = random(3 << 20, 2);
        Files.createDirectories(mnt.resolve("work"));
        Files.write(mnt.resolve("work/dirty.bin"), dirty);
        Files.writeString(mnt.resolve("work/note.txt"), "uncommitted");

        // The commit's uploads are held by the proxy: the daemon dies while they are in flight.
        service.faults().inject(Rule.on("PUT", Fault.DELAY).delay(Duration.ofSeconds(3)));
        long putsBefore = service.faults().requests("PUT");
        CompletableFuture<CommitReport> committing = CompletableFuture.supplyAsync(() -> control.commit((a, b, c, d) -> { }));
        await().atMost(Duration.ofSeconds(30)).until(() -> service.faults().requests("PUT") > putsBefore);
        Guests.kill(daemon);
        assertThat(committing).as("the commit did not complete").failsWithin(Duration.ofSeconds(30));
        service.faults().clearFaults();
        assertThat(client.findVolume(VolumeName.of("guest-kill")).orElseThrow().headSeq()).as("nothing was published").isEqualTo(1);

        Process again = guests.mount("guest-kill", mnt, state);
        MountStatus status = control.status();
        assertThat(status.dirtyPaths()).as("uncommitted paths after the remount").contains("work/dirty.bin", "work/note.txt");
        assertThat(Files.readAllBytes(mnt.resolve("work/dirty.bin"))).isEqualTo(dirty);
        assertThat(Files.readString(mnt.resolve("work/note.txt"))).isEqualTo("uncommitted");
        assertThat(Files.readAllBytes(mnt.resolve("committed.bin"))).isEqualTo(committed);

        CommitReport report = control.commit((a, b, c, d) -> { });
        assertThat(report.seq()).isEqualTo(2);
        VolumeName volume = VolumeName.of("guest-kill");
        assertThat(commits.read(volume, VolumePath.of("work/dirty.bin"), 2)).isEqualTo(dirty);
        assertThat(commits.read(volume, VolumePath.of("committed.bin"), 2)).isEqualTo(committed);
        guests.unmount(mnt, again);
    }

    @Test
    void killedDuringAReloadKeepsEveryUncommittedByteDirtyOrStashed() throws Exception {
        VolumeName volume = VolumeName.of("guest-reload");
        client.createVolumeIfMissing(volume);
        commits.commit(volume, 0, "base", Map.of(VolumePath.of("shared.txt"), "v1".getBytes()));
        Path mnt = temp.resolve("mnt");
        Path state = temp.resolve("state");
        Process daemon = guests.mount(volume.value(), mnt, state);
        ControlClient control = guests.control(mnt);
        byte[] mine = random(1 << 20, 3);
        Files.write(mnt.resolve("mine.bin"), mine);
        // Someone else commits a lot, so the reload has work to do.
        Map<VolumePath, byte[]> theirs = new LinkedHashMap<>();
        for (int i = 0; i < 200; i++) {
            theirs.put(VolumePath.of("theirs/f" + i), ("file " + i).getBytes());
        }
        long head = commits.commit(volume, 1, "theirs", theirs).seq();

        CompletableFuture<?> reloading = CompletableFuture.runAsync(control::reload);
        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ofMillis(20)).until(() -> true);
        Guests.kill(daemon);
        reloading.handle((r, e) -> null).get(30, TimeUnit.SECONDS);

        Process again = guests.mount(volume.value(), mnt, state);
        MountStatus status = control.status();
        if (status.dirtyPaths().contains("mine.bin")) {
            assertThat(Files.readAllBytes(mnt.resolve("mine.bin"))).as("still dirty after the kill").isEqualTo(mine);
        } else {
            List<StashInfo> stashes = control.stashList();
            assertThat(stashes).as("the reload had stashed the uncommitted file").hasSize(1);
            assertThat(stashes.getFirst().paths()).contains("mine.bin");
            control.stashRestore(stashes.getFirst().id());
            assertThat(Files.readAllBytes(mnt.resolve("mine.bin"))).as("restored from the stash").isEqualTo(mine);
        }
        CommitReport report = control.commit((a, b, c, d) -> { });
        assertThat(report.seq()).isGreaterThan(head);
        assertThat(commits.read(volume, VolumePath.of("mine.bin"), report.seq())).isEqualTo(mine);
        control.reload();
        assertThat(Files.readString(mnt.resolve("theirs/f199"))).isEqualTo("file 199");
        guests.unmount(mnt, again);
    }

    @Test
    void aTruncatedCacheFileIsDetectedAndFetchedAgain() throws Exception {
        damagedCacheFileIsFetchedAgain("guest-truncated", file -> {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.truncate(1000);
            }
        });
    }

    @Test
    void aBitFlippedCacheFileIsDetectedByItsHashAndFetchedAgain() throws Exception {
        damagedCacheFileIsFetchedAgain("guest-flipped", file -> {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer one = ByteBuffer.allocate(1);
                channel.read(one, 12345);
                channel.write(ByteBuffer.wrap(new byte[] {(byte) (one.get(0) ^ 0x10)}), 12345);
            }
        });
    }

    private interface Damage {
        void apply(Path cacheFile) throws IOException;
    }

    private void damagedCacheFileIsFetchedAgain(String name, Damage damage) throws Exception {
        VolumeName volume = VolumeName.of(name);
        client.createVolumeIfMissing(volume);
        byte[] content = random(3 << 20, name.hashCode());
        commits.commit(volume, 0, "c", Map.of(VolumePath.of("data.bin"), content));
        List<ChunkId> chunks = ((Entry.File) client.stat(volume, VolumePath.of("data.bin"), 1).orElseThrow().entry()).chunks();
        Path mnt = temp.resolve("mnt");
        Path state = temp.resolve("state");
        Process daemon = guests.mount(volume.value(), mnt, state);
        assertThat(Files.readAllBytes(mnt.resolve("data.bin"))).isEqualTo(content);
        guests.unmount(mnt, daemon);

        Path cached = state.resolve("cache").resolve(chunks.get(1).toString());
        assertThat(cached).as("the cache holds chunk 1 under its hash").exists();
        damage.apply(cached);
        service.s3().resetCounters();

        Process again = guests.mount(volume.value(), mnt, state);
        assertThat(Arrays.mismatch(Files.readAllBytes(mnt.resolve("data.bin")), content))
                .as("first differing byte of the file after the damage (-1: none)").isEqualTo(-1);
        assertThat(service.s3().counters().getRequests()).as("the damaged chunk was fetched again").isPositive();
        guests.unmount(mnt, again);
    }

    static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
