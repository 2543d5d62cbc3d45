package dev.sail.volumes.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.client.HttpVolumeService;
import dev.sail.volumes.client.Page;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.Versioned;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads at a sequence: stat, paged listing, paged delta, history; and all of it after a restart. */
class ReadIT {
    @TempDir
    Path data;

    @Test
    void readsEverySequenceAndSurvivesARestart() {
        try (RunningService service = new RunningService(data)) {
            HttpVolumeService client = service.client();
            VolumeName name = VolumeName.of("reads");
            client.createVolumeIfMissing(name);
            List<Change> first = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                first.add(new Change(VolumePath.of("d/f" + String.format("%02d", i)), link("v1-" + i)));
            }
            first.add(new Change(VolumePath.of("gone/x"), link("x")));
            client.commit(name, new CommitProposal(0, "c1", "m1", first));
            client.commit(name, new CommitProposal(1, "c2", "m2", List.of(
                    new Change(VolumePath.of("d/f03"), link("v2")),
                    new Change(VolumePath.of("gone"), Entry.DELETED),
                    new Change(VolumePath.of("new"), link("n")))));

            service.restart();
            client = service.client();

            assertThat(client.stat(name, VolumePath.of("d/f03"), 1)).map(Versioned::entry).contains(link("v1-3"));
            assertThat(client.stat(name, VolumePath.of("d/f03"), 2)).map(Versioned::entry).contains(link("v2"));
            assertThat(client.stat(name, VolumePath.of("gone/x"), 1)).isPresent();
            assertThat(client.stat(name, VolumePath.of("gone/x"), 2)).isEmpty();
            assertThat(client.stat(name, VolumePath.ROOT, 0)).map(Versioned::entry).containsInstanceOf(Entry.Directory.class);

            List<String> names = new ArrayList<>();
            String after = null;
            int pages = 0;
            do {
                Page<Versioned> page = client.list(name, VolumePath.of("d"), 2, after, 10);
                page.items().forEach(v -> names.add(v.path().name()));
                after = page.next().orElse(null);
                pages++;
            } while (after != null);
            assertThat(pages).isEqualTo(3);
            assertThat(names).hasSize(25).isSorted().startsWith("f00", "f01").endsWith("f24");
            assertThat(client.list(name, VolumePath.ROOT, 1, null, 100).items()).extracting(v -> v.path().value())
                    .containsExactly("d", "gone");
            assertThat(client.list(name, VolumePath.ROOT, 2, null, 100).items()).extracting(v -> v.path().value())
                    .containsExactly("d", "new");

            Page<Versioned> delta = client.delta(name, 1, 2, null, 2);
            assertThat(delta.items()).extracting(v -> v.path().value()).containsExactly("d/f03", "gone");
            Page<Versioned> rest = client.delta(name, 1, 2, delta.next().orElseThrow(), 10);
            assertThat(rest.items()).extracting(v -> v.path().value()).containsExactly("gone/x", "new");
            assertThat(rest.next()).isEmpty();
            assertThat(rest.items().getFirst().entry()).isEqualTo(Entry.DELETED);
            assertThat(client.delta(name, 2, 2, null, 10).items()).isEmpty();

            assertThatThrownBy(() -> service.client().list(name, VolumePath.of("new"), 2, null, 10))
                    .isInstanceOfSatisfying(VolumeServiceException.class, e -> {
                        assertThat(e.status()).isEqualTo(409);
                        assertThat(e.code()).isEqualTo("not_a_directory");
                        assertThat(e.getMessage()).contains("Cannot list 'new' at commit 2");
                    });

            RunningService.Response history = service.call("GET", "/v1/volumes/reads/commits?limit=10", service.key(), (String) null);
            assertThat(history.status()).isEqualTo(200);
            assertThat(history.body().path("commits")).hasSize(2);
            assertThat(history.body().path("commits").get(0).path("seq").asLong()).isEqualTo(2);
            assertThat(history.body().path("commits").get(0).path("mountId").asText()).isEqualTo("m2");
            assertThat(history.body().path("commits").get(1).path("changes").asInt()).isEqualTo(28);
            RunningService.Response older = service.call("GET", "/v1/volumes/reads/commits?before=2", service.key(), (String) null);
            assertThat(older.body().path("commits")).hasSize(1);
        }
    }

    @Test
    void deletedVolumesDisappearAndTheirNameCanBeReused() {
        try (RunningService service = new RunningService(data)) {
            HttpVolumeService client = service.client();
            VolumeName name = VolumeName.of("temp");
            client.createVolumeIfMissing(name);
            client.commit(name, new CommitProposal(0, "c", "m", List.of(new Change(VolumePath.of("a"), link("a")))));
            client.deleteVolume(name);
            assertThat(client.findVolume(name)).isEmpty();
            assertThat(client.createVolumeIfMissing(name).headSeq()).isZero();
            assertThat(client.list(name, VolumePath.ROOT, 0, null, 10).items()).isEmpty();
        }
    }

    private static Entry link(String target) {
        return new Entry.Symlink(target, 1);
    }
}
