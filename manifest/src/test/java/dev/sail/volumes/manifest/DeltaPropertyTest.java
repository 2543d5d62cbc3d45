package dev.sail.volumes.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** apply(from, between(from, to)) == to, for random states and for states a real history produces. */
class DeltaPropertyTest {
    @Provide
    Arbitrary<Map<VolumePath, Entry>> states() {
        return Arbitraries.maps(Arbitraries.of(MergePropertyTest.allPaths()), ManifestArbitraries.existingEntries())
                .ofMaxSize(15);
    }

    @Provide
    Arbitrary<List<MergePropertyTest.Step>> histories() {
        return new MergePropertyTest().histories();
    }

    @Property(tries = 500)
    void applyingTheDeltaGivesTheTargetState(@ForAll("states") Map<VolumePath, Entry> from,
                                              @ForAll("states") Map<VolumePath, Entry> to) {
        List<Change> delta = Delta.between(from, to);
        assertThat(Delta.apply(from, delta)).isEqualTo(to);
        assertThat(delta).isSortedAccordingTo((a, b) -> a.path().compareTo(b.path()));
        assertThat(delta).allSatisfy(change -> assertThat(from.get(change.path()))
                .isNotEqualTo(change.entry().exists() ? change.entry() : null));
        assertThat(Delta.between(to, to)).isEmpty();
    }

    @Property(tries = 300)
    void theDeltaBetweenTwoCommitsLeadsFromOneToTheOther(@ForAll("histories") List<MergePropertyTest.Step> history) {
        InMemoryManifest volume = new InMemoryManifest();
        Map<VolumePath, Entry> first = null;
        int key = 0;
        for (MergePropertyTest.Step step : history) {
            volume.commit(new CommitProposal(step.base(volume.headSeq()), "k" + key++, "m", step.changes()));
            if (first == null) {
                first = volume.snapshot();
            }
        }
        Map<VolumePath, Entry> last = volume.snapshot();
        assertThat(Delta.apply(first, Delta.between(first, last))).isEqualTo(last);
        assertThat(Delta.apply(last, Delta.between(last, first))).isEqualTo(first);
    }
}
