package dev.sail.volumes.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.chunking.ChunkHasher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The merge rule against random histories of commits on a small tree (names a, b, c; depth 1 to 3),
 * each commit based on a random recent sequence, so that clashes of every kind are frequent.
 */
class MergePropertyTest {
        /** One commit of a history: it is based {@code lag} commits behind the head at the time it is applied. */
    record Step(int lag, List<Change> changes) {
        long base(long head) {
            return Math.max(0, head - lag);
        }
    }

    // ---- generators ----------------------------------------------------------------------------

    static List<VolumePath> allPaths() {
        List<VolumePath> paths = new ArrayList<>();
        List<String> names = List.of("a", "b", "c");
        for (String x : names) {
            paths.add(VolumePath.of(x));
            for (String y : names) {
                paths.add(VolumePath.of(x + "/" + y));
                for (String z : names) {
                    paths.add(VolumePath.of(x + "/" + y + "/" + z));
                }
            }
        }
        return paths;
    }

    static Arbitrary<Entry> entries() {
        Arbitrary<Entry> files = Arbitraries.integers().between(0, 9999).map(content ->
                new Entry.File(2, 0644, content, List.of(ChunkHasher.hash(new byte[] {content.byteValue(), (byte) (content >> 8)}))));
        Arbitrary<Entry> dirs = Arbitraries.of(0755, 0700, 0750).flatMap(mode ->
                Arbitraries.integers().between(0, 9999).map(t -> new Entry.Directory(mode, t)));
        Arbitrary<Entry> links = Arbitraries.integers().between(0, 9999).map(t -> new Entry.Symlink("../t" + t, t));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, files),
                net.jqwik.api.Tuple.of(3, dirs),
                net.jqwik.api.Tuple.of(1, links),
                net.jqwik.api.Tuple.of(3, Arbitraries.just(Entry.DELETED)));
    }

    @Provide
    Arbitrary<List<Step>> histories() {
        Arbitrary<Change> change = Combinators.combine(Arbitraries.of(allPaths()), entries()).as(Change::new);
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.integers().between(0, 3),
                change.list().ofMinSize(1).ofMaxSize(5).map(MergePropertyTest::valid)
        ).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(12);
    }

    /** Drops repeated paths and changes under a non-directory of the same commit, which a proposal rejects. */
    static List<Change> valid(List<Change> raw) {
        List<Change> sorted = new ArrayList<>(raw);
        sorted.sort(Comparator.comparing(Change::path));
        List<Change> kept = new ArrayList<>();
        Set<VolumePath> seen = new HashSet<>();
        for (Change change : sorted) {
            boolean underLeaf = kept.stream().anyMatch(k ->
                    !(k.entry() instanceof Entry.Directory) && k.path().isAncestorOf(change.path()));
            if (seen.add(change.path()) && !underLeaf) {
                kept.add(change);
            }
        }
        return kept;
    }

    // ---- properties --------------------------------------------------------------------------------

    private static List<MergeResult> run(InMemoryManifest volume, List<Step> history) {
        List<MergeResult> results = new ArrayList<>();
        int key = 0;
        for (Step step : history) {
            results.add(volume.commit(new CommitProposal(step.base(volume.headSeq()), "k" + key++, "m", step.changes())));
        }
        return results;
    }

    @Property(tries = 400)
    void mergingIsDeterministic(@ForAll("histories") List<Step> history) {
        InMemoryManifest first = new InMemoryManifest();
        InMemoryManifest second = new InMemoryManifest();
        assertThat(run(second, history)).isEqualTo(run(first, history));
        assertThat(second.snapshot()).isEqualTo(first.snapshot());
    }

    @Property(tries = 600)
    void mergeAgreesWithTheReferenceModel(@ForAll("histories") List<Step> history) {
        InMemoryManifest volume = new InMemoryManifest();
        ReferenceMerge reference = new ReferenceMerge();
        for (Step step : history) {
            long base = step.base(volume.headSeq());
            MergeResult actual = volume.commit(new CommitProposal(base, "k" + volume.headSeq(), "m", step.changes()));
            MergeResult expected = reference.commit(base, step.changes());
            assertThat(actual.writes()).as("writes of commit %d", volume.headSeq()).isEqualTo(expected.writes());
            assertThat(actual.overwritten()).as("overwritten paths of commit %d", volume.headSeq())
                    .isEqualTo(expected.overwritten());
            assertThat(volume.snapshot()).as("state after commit %d", volume.headSeq()).isEqualTo(reference.snapshot());
        }
    }

    @Property(tries = 600)
    void noPathIsEverBothAFileAndADirectory(@ForAll("histories") List<Step> history) {
        InMemoryManifest volume = new InMemoryManifest();
        int key = 0;
        for (Step step : history) {
            volume.commit(new CommitProposal(step.base(volume.headSeq()), "k" + key++, "m", step.changes()));
            Map<VolumePath, Entry> state = volume.snapshot();
            state.forEach((path, entry) -> {
                for (VolumePath ancestor : path.ancestors()) {
                    assertThat(state.get(ancestor))
                            .as("ancestor %s of live %s after commit %d", ancestor, path, volume.headSeq())
                            .isInstanceOf(Entry.Directory.class);
                }
            });
            // Every delete marker is really gone from the listing of its parent.
            for (VolumePath path : allPaths()) {
                boolean live = state.containsKey(path);
                VolumePath parent = path.loadParent();
                boolean listed = (parent.isRoot() || state.get(parent) instanceof Entry.Directory)
                        && volume.list(parent).stream().anyMatch(v -> v.path().equals(path));
                assertThat(listed).as("%s listed in its parent", path).isEqualTo(live);
            }
        }
    }

    @Property(tries = 600)
    void noChangeIsLostUnlessALaterCommitTouchedItsPath(@ForAll("histories") List<Step> history) {
        InMemoryManifest volume = new InMemoryManifest();
        run(volume, history);
        Map<VolumePath, Entry> state = volume.snapshot();
        for (int s = 0; s < history.size(); s++) {
            for (Change change : history.get(s).changes()) {
                if (touchedLater(change, history.subList(s + 1, history.size()))) {
                    continue;
                }
                Entry expected = change.entry().exists() ? change.entry() : null;
                assertThat(state.get(change.path()))
                        .as("%s from commit %d, untouched since", change.path(), s + 1)
                        .isEqualTo(expected);
            }
        }
    }

    /**
     * Whether a later commit could have changed {@code change}'s path: by writing it, by deleting or
     * replacing an ancestor with a non-directory, or (unless the path became a directory) by writing
     * something beneath it, which forces the path to be a directory.
     */
    private static boolean touchedLater(Change change, List<Step> later) {
        VolumePath path = change.path();
        for (Step step : later) {
            for (Change other : step.changes()) {
                VolumePath q = other.path();
                boolean direct = q.equals(path);
                boolean ancestorReplaced = q.isAncestorOf(path) && !(other.entry() instanceof Entry.Directory);
                boolean descendantForcesDir = path.isAncestorOf(q) && other.entry().exists()
                        && !(change.entry() instanceof Entry.Directory);
                if (direct || ancestorReplaced || descendantForcesDir) {
                    return true;
                }
            }
        }
        return false;
    }
}
