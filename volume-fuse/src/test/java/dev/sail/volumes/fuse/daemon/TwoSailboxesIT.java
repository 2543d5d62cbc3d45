package dev.sail.volumes.fuse.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.client.MountedVolume;
import dev.sail.volumes.client.Volume;
import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.client.control.MountControlException;
import dev.sail.volumes.client.control.ReloadReport;
import dev.sail.volumes.fuse.FuseEnvironment;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.testkit.ServiceFixture;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two mounts of one volume against the real service and S3 server stand for two sailboxes: what
 * one commits, the other sees after reload, and the byte counts of commits are what the layout promises.
 */
class TwoSailboxesIT {
    static ServiceFixture service;

    @TempDir
    Path temp;

    final List<Daemon> daemons = new ArrayList<>();

    @BeforeAll
    static void startService() {
        service = ServiceFixture.start();
    }

    @AfterAll
    static void stopService() {
        service.close();
    }

    final List<Path> mountpoints = new ArrayList<>();

    @AfterEach
    void unmountAll() {
        daemons.forEach(Daemon::close);
        for (Path mountpoint : mountpoints) {
            if (FuseEnvironment.isMounted(mountpoint)) {
                FuseEnvironment.fusermountUnmount(mountpoint);
            }
        }
    }

    /** The FUSE binding the mounts use. */
    protected String binding() {
        return "jfuse";
    }

    Path runDir() throws Exception {
        return Files.createDirectories(temp.resolve("run"));
    }

    Path mount(String volume, String name) throws Exception {
        Path mountpoint = Files.createDirectories(temp.resolve(name));
        mountpoints.add(mountpoint);
        Daemon daemon = Daemon.start(new Daemon.Config(VolumeName.of(volume), true, mountpoint, temp.resolve(name + "-state"),
                256L << 20, binding(), runDir()), service.client(), service.transfer());
        daemons.add(daemon);
        return mountpoint;
    }

    MountedVolume mounted(Path mountpoint) throws Exception {
        return MountedVolume.fromMount(mountpoint, runDir());
    }

    @Test
    void whatOneCommitsTheOtherSeesAfterReload() throws Exception {
        Path a = mount("shared", "a");
        Path b = mount("shared", "b");
        assertThat(Volume.get(service.client(), "shared", false).headSeq()).isZero();
        assertThatThrownBy(() -> Volume.get(service.client(), "never-made", false))
                .hasMessageContaining("Volume 'never-made' does not exist (pass mintIfMissing to create it)");

        Files.createDirectories(a.resolve("notebooks"));
        Files.writeString(a.resolve("notebooks/one.ipynb"), "{\"cells\":[]}");
        String commit = mounted(a).commit();

        assertThat(Files.exists(b.resolve("notebooks"))).as("b still shows its base").isFalse();
        assertThat(mounted(b).reload()).isEqualTo(commit);
        assertThat(Files.readString(b.resolve("notebooks/one.ipynb"))).isEqualTo("{\"cells\":[]}");
        assertThat(Volume.get(service.client(), "shared", false).headCommit()).isEqualTo(commit);
        assertThat(mounted(b).status().baseCommit()).isEqualTo(commit);
    }

    @Test
    void concurrentCommitsMergeAndTheLastWriterOfAPathWinsAndIsReported() throws Exception {
        Path a = mount("merge", "a");
        Path b = mount("merge", "b");
        Files.writeString(a.resolve("same.txt"), "from a");
        Files.writeString(a.resolve("only-a.txt"), "a");
        Files.writeString(b.resolve("same.txt"), "from b");
        Files.writeString(b.resolve("only-b.txt"), "b");

        CommitReport first = mounted(a).commitReport();
        CommitReport second = mounted(b).commitReport();

        assertThat(first.overwritten()).isEmpty();
        assertThat(second.overwritten()).containsExactly("same.txt");
        assertThat(second.seq()).isEqualTo(first.seq() + 1);
        mounted(a).reload();
        assertThat(Files.readString(a.resolve("same.txt"))).isEqualTo("from b");
        try (var list = Files.list(a)) {
            assertThat(list.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("same.txt", "only-a.txt", "only-b.txt");
        }
    }

    @Test
    void reloadDiscardsReportsAndStashesLocalChanges() throws Exception {
        Path a = mount("discard", "a");
        Files.writeString(a.resolve("kept.txt"), "committed");
        mounted(a).commit();
        Files.writeString(a.resolve("kept.txt"), "edited, not committed");
        Files.writeString(a.resolve("new.txt"), "new, not committed");

        ReloadReport report = mounted(a).reloadReport();

        assertThat(report.discarded()).containsExactly("kept.txt", "new.txt");
        assertThat(Files.readString(a.resolve("kept.txt"))).isEqualTo("committed");
        assertThatThrownBy(() -> Files.readString(a.resolve("new.txt"))).isInstanceOf(NoSuchFileException.class);
        Daemon daemon = daemons.getFirst();
        assertThat(daemon.synchronizer().restore(report.stash())).containsExactly("kept.txt", "new.txt");
        assertThat(Files.readString(a.resolve("kept.txt"))).isEqualTo("edited, not committed");
        assertThat(Files.readString(a.resolve("new.txt"))).isEqualTo("new, not committed");
    }

    @Test
    void aOneByteRewriteUploadsOneChunkAndARenameUploadsNothing() throws Exception {
        Path a = mount("bytes", "a");
        byte[] data = new byte[20 << 20];
        new Random(7).nextBytes(data);
        Files.write(a.resolve("big.bin"), data);
        CommitReport initial = mounted(a).commitReport();
        assertThat(initial.chunksUploaded()).isEqualTo(3);
        assertThat(initial.bytesUploaded()).isEqualTo(20 << 20);

        try (FileChannel channel = FileChannel.open(a.resolve("big.bin"), StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[] {(byte) (data[9 << 20] + 1)}), 9 << 20);
        }
        CommitReport rewrite = mounted(a).commitReport();
        assertThat(rewrite.chunksUploaded()).isEqualTo(1);
        assertThat(rewrite.bytesUploaded()).isEqualTo(ChunkLayout.STANDARD.smallChunk());
        assertThat(rewrite.chunksReused()).isEqualTo(2);

        Files.move(a.resolve("big.bin"), a.resolve("renamed.bin"));
        CommitReport rename = mounted(a).commitReport();
        assertThat(rename.chunksUploaded()).isZero();
        assertThat(rename.bytesUploaded()).isZero();

        Path b = mount("bytes", "b");
        data[9 << 20]++;
        assertThat(Files.readAllBytes(b.resolve("renamed.bin"))).isEqualTo(data);
    }

    @Test
    void aMountThatIsNotThereIsReportedClearly() throws Exception {
        Path nowhere = Files.createDirectories(temp.resolve("nowhere"));
        assertThatThrownBy(() -> mounted(nowhere).commit())
                .isInstanceOf(MountControlException.class)
                .hasMessageContaining("No sail-volume mount at " + nowhere);
    }

    @Test
    void aReloadShowsAtOnceWhatTheKernelHadCached() throws Exception {
        Path a = mount("cached", "a");
        Path b = mount("cached", "b");
        Files.createDirectories(a.resolve("d"));
        Files.writeString(a.resolve("d/f.txt"), "one");
        Files.writeString(a.resolve("gone.txt"), "soon deleted");
        mounted(a).commit();
        mounted(b).reload();
        // b's kernel now holds names, attributes and pages of these.
        assertThat(Files.readString(b.resolve("d/f.txt"))).isEqualTo("one");
        assertThat(Files.size(b.resolve("gone.txt"))).isEqualTo(12);

        Files.writeString(a.resolve("d/f.txt"), "one, two");
        Files.delete(a.resolve("gone.txt"));
        Files.writeString(a.resolve("d/new.txt"), "new");
        mounted(a).commit();
        mounted(b).reload();

        assertThat(Files.size(b.resolve("d/f.txt"))).isEqualTo(8);
        assertThat(Files.readString(b.resolve("d/f.txt"))).isEqualTo("one, two");
        assertThat(Files.exists(b.resolve("gone.txt"))).isFalse();
        assertThat(Files.readString(b.resolve("d/new.txt"))).isEqualTo("new");
    }
}
