package dev.sail.volumes.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.chunking.ChunkHasher;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryManifestTest extends ManifestViewContract {

    @Override
    protected VolumeUnderTest newVolume() {
        InMemoryManifest volume = new InMemoryManifest();
        return new VolumeUnderTest() {
            @Override
            public ManifestView head() {
                return volume;
            }

            @Override
            public MergeResult commit(CommitProposal proposal) {
                return volume.commit(proposal);
            }
        };
    }

    @Test
    void listsChildrenSortedAndSnapshotsLivePaths() {
        InMemoryManifest volume = new InMemoryManifest();
        Entry.File file = new Entry.File(1, 0644, 0, List.of(ChunkHasher.hash(new byte[] {1})));
        volume.commit(new CommitProposal(0, "k1", "m", List.of(
                new Change(VolumePath.of("d/b"), file), new Change(VolumePath.of("d/a/x"), file),
                new Change(VolumePath.of("d-e"), file))));
        volume.commit(new CommitProposal(1, "k2", "m", List.of(new Change(VolumePath.of("d/b"), Entry.DELETED))));
        assertThat(volume.headSeq()).isEqualTo(2);
        assertThat(volume.list(VolumePath.of("d"))).extracting(Versioned::path).containsExactly(VolumePath.of("d/a"));
        assertThat(volume.list(VolumePath.ROOT)).extracting(Versioned::path)
                .containsExactly(VolumePath.of("d"), VolumePath.of("d-e"));
        assertThat(volume.snapshot().keySet()).containsExactly(
                VolumePath.of("d"), VolumePath.of("d/a"), VolumePath.of("d/a/x"), VolumePath.of("d-e"));
    }
}
