package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.client.Volume;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.client.control.CommitReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Semantic 1: volumes are named per org; get(name, mintIfMissing) creates one if asked; deleting a
 * sailbox or unmounting never deletes a volume; many mounts of one volume may exist at once.
 */
class VolumesIT extends AcceptanceBase {

    @Test
    void semantic1_volumesAreNamedPerOrgAndCreatedOnlyWhenAsked() {
        String name = uniqueVolume("named");
        VolumeService defaultOrg = service.client();
        VolumeService acme = service.client(service.createOrg(uniqueVolume("acme")));

        assertThatThrownBy(() -> Volume.get(defaultOrg, name, false))
                .isInstanceOf(VolumeServiceException.class)
                .hasMessage("Volume '" + name + "' does not exist (pass mintIfMissing to create it)");
        Volume created = Volume.get(defaultOrg, name, true);
        assertThat(created.name().value()).isEqualTo(name);
        assertThat(created.headSeq()).as("a new volume has no commit").isZero();
        assertThat(Volume.get(defaultOrg, name, false).info().id()).as("found again by name").isEqualTo(created.info().id());
        assertThat(Volume.get(defaultOrg, name, true).info().id()).as("minting an existing name finds it").isEqualTo(created.info().id());

        assertThatThrownBy(() -> Volume.get(acme, name, false)).as("another org does not see the name")
                .isInstanceOf(VolumeServiceException.class).hasMessageContaining("does not exist");
        assertThat(Volume.get(acme, name, true).info().id()).as("the same name in another org is another volume")
                .isNotEqualTo(created.info().id());
    }

    @Test
    void semantic1_unmountingOrDeletingTheSailboxNeverDeletesTheVolume() throws Exception {
        String volume = uniqueVolume("kept");
        Sailbox first = sailbox("first");
        first.mount(volume);
        write(first.path("notes.txt"), "still here".getBytes());
        Launcher.Result commit = first.cli("commit", first.mountpoint().toString());
        assertThat(commit.exit()).as(commit.transcript()).isZero();

        first.unmount();
        // The whole sailbox goes: its state dir with it.
        deleteTree(first.stateDir());

        Volume kept = Volume.get(service.client(), volume, false);
        assertThat(kept.headCommit()).isEqualTo(commit.out().strip());
        Sailbox second = mounted("second", volume);
        assertThat(Files.readString(second.path("notes.txt"))).isEqualTo("still here");
    }

    @Test
    void semantic1_manyMountsOfOneVolumeExistAtOnce() throws Exception {
        String volume = uniqueVolume("many");
        List<Sailbox> boxes = new ArrayList<>();
        List<Process> daemons = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Sailbox box = sailbox("box" + i);
            boxes.add(box);
            daemons.add(box.startForeground(volume));
        }
        for (int i = 0; i < 4; i++) {
            boxes.get(i).awaitMounted(daemons.get(i));
        }
        assertThat(Mounts.fuseMountPoints()).as("four live mounts").containsAll(
                boxes.stream().map(b -> b.mountpoint().toString()).toList());

        long lastSeq = 0;
        for (int i = 0; i < 4; i++) {
            write(boxes.get(i).path("from-" + i + ".txt"), ("written by box " + i).getBytes());
            CommitReport report = boxes.get(i).volume().commitReport();
            assertThat(report.seq()).as("each commit lands after the previous one").isGreaterThan(lastSeq);
            lastSeq = report.seq();
        }
        for (Sailbox box : boxes) {
            assertThat(box.volume().reloadReport().seq()).isEqualTo(lastSeq);
            for (int i = 0; i < 4; i++) {
                assertThat(Files.readString(box.path("from-" + i + ".txt"))).isEqualTo("written by box " + i);
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
