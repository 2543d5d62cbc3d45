package dev.sail.volumes.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.chunking.ChunkHasher;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ManifestView} must do, run against each implementation: {@code InMemoryManifestTest}
 * here, and a store's own test elsewhere (depend on the manifest test-jar and extend this class).
 *
 * <p>An implementation supplies a fresh, empty volume that applies commits the way the service does
 * (merge onto its head view with {@link Merge#apply}, store the writes at the next sequence). The
 * tests then check {@code find} and {@code forEachDescendant} path by path against
 * {@link ReferenceMerge}, over fixed cases and over seeded random histories.
 */
public abstract class ManifestViewContract {

    /** A volume under test: its head view, and a way to commit onto it. */
    public interface VolumeUnderTest {
        /** The current head; the contract calls this again after every commit. */
        ManifestView head();

        /** Merges {@code proposal} onto the head and stores its writes as the next commit. */
        MergeResult commit(CommitProposal proposal);
    }

    /** A new, empty volume (head sequence 0). */
    protected abstract VolumeUnderTest newVolume();

    /** How many random histories {@link #randomHistoriesMatchTheReferenceModel} runs; lower it for slow stores. */
    protected int randomHistories() {
        return 150;
    }

    private int keys;

    private static Entry.File file(int content) {
        return new Entry.File(1, 0644, content, List.of(ChunkHasher.hash(new byte[] {(byte) content})));
    }

    private static Change change(String path, Entry entry) {
        return new Change(VolumePath.of(path), entry);
    }

    private MergeResult commit(VolumeUnderTest volume, long base, Change... changes) {
        return volume.commit(new CommitProposal(base, "contract-" + keys++, "contract", List.of(changes)));
    }

    private static Set<VolumePath> descendants(ManifestView view, VolumePath directory) {
        Set<VolumePath> seen = new HashSet<>();
        view.forEachDescendant(directory, v -> {
            assertThat(seen.add(v.path())).as("%s visited twice under %s", v.path(), directory).isTrue();
        });
        return seen;
    }

    @Test
    void anEmptyVolumeHoldsNothing() {
        VolumeUnderTest volume = newVolume();
        assertThat(volume.head().find(VolumePath.of("a"))).isEmpty();
        assertThat(descendants(volume.head(), VolumePath.ROOT)).isEmpty();
    }

    @Test
    void findReturnsTheNewestVersionWithItsSequenceDeleteMarkersIncluded() {
        VolumeUnderTest volume = newVolume();
        commit(volume, 0, change("a/b", file(1)));
        commit(volume, 1, change("a/b", file(2)));
        assertThat(volume.head().find(VolumePath.of("a/b")))
                .contains(new Versioned(VolumePath.of("a/b"), file(2), 2));
        assertThat(volume.head().find(VolumePath.of("a")))
                .contains(new Versioned(VolumePath.of("a"), new Entry.Directory(0755, 0), 1));
        commit(volume, 2, change("a", Entry.DELETED));
        assertThat(volume.head().find(VolumePath.of("a/b")))
                .contains(new Versioned(VolumePath.of("a/b"), Entry.DELETED, 3));
        assertThat(volume.head().find(VolumePath.of("a/c"))).isEmpty();
    }

    @Test
    void forEachDescendantVisitsExactlyTheLivePathsStrictlyInside() {
        VolumeUnderTest volume = newVolume();
        commit(volume, 0, change("a/b/c", file(1)), change("a/x", file(2)), change("a-b", file(3)),
                change("ab/y", file(4)), change("a.b", file(5)));
        commit(volume, 1, change("a/x", Entry.DELETED));
        ManifestView head = volume.head();
        assertThat(descendants(head, VolumePath.of("a")))
                .containsExactlyInAnyOrder(VolumePath.of("a/b"), VolumePath.of("a/b/c"));
        assertThat(descendants(head, VolumePath.of("a/b"))).containsExactly(VolumePath.of("a/b/c"));
        assertThat(descendants(head, VolumePath.of("a/b/c"))).isEmpty();
        assertThat(descendants(head, VolumePath.of("a-b"))).isEmpty();
        assertThat(descendants(head, VolumePath.of("nope"))).isEmpty();
        assertThat(descendants(head, VolumePath.ROOT)).containsExactlyInAnyOrder(
                VolumePath.of("a"), VolumePath.of("a/b"), VolumePath.of("a/b/c"), VolumePath.of("a-b"),
                VolumePath.of("ab"), VolumePath.of("ab/y"), VolumePath.of("a.b"));
    }

    @Test
    void randomHistoriesMatchTheReferenceModel() {
        List<VolumePath> paths = MergePropertyTest.allPaths();
        for (int history = 0; history < randomHistories(); history++) {
            Random random = new Random(history);
            VolumeUnderTest volume = newVolume();
            ReferenceMerge reference = new ReferenceMerge();
            int commits = 1 + random.nextInt(12);
            for (int c = 0; c < commits; c++) {
                long base = Math.max(0, reference.head() - random.nextInt(4));
                List<Change> changes = randomChanges(random, paths);
                MergeResult actual = volume.commit(new CommitProposal(base, "h" + history + "-" + c, "contract", changes));
                MergeResult expected = reference.commit(base, changes);
                String where = "history " + history + ", commit " + (c + 1);
                assertThat(actual).as("result of %s", where).isEqualTo(expected);
                ManifestView head = volume.head();
                for (VolumePath path : paths) {
                    assertThat(head.find(path)).as("find(%s) after %s", path, where).isEqualTo(reference.find(path));
                }
                for (VolumePath directory : paths.subList(0, 12)) {
                    Set<VolumePath> expectedDescendants = new HashSet<>();
                    reference.snapshot().keySet().stream().filter(directory::isAncestorOf).forEach(expectedDescendants::add);
                    assertThat(descendants(head, directory)).as("descendants of %s after %s", directory, where)
                            .isEqualTo(expectedDescendants);
                }
            }
        }
    }

    private static List<Change> randomChanges(Random random, List<VolumePath> paths) {
        List<Change> raw = new ArrayList<>();
        int count = 1 + random.nextInt(5);
        for (int i = 0; i < count; i++) {
            VolumePath path = paths.get(random.nextInt(paths.size()));
            int t = random.nextInt(10000);
            Entry entry = switch (random.nextInt(11)) {
                case 0, 1, 2, 3 -> file(t);
                case 4, 5, 6 -> new Entry.Directory(random.nextBoolean() ? 0755 : 0700, t);
                case 7 -> new Entry.Symlink("../t" + t, t);
                default -> Entry.DELETED;
            };
            raw.add(new Change(path, entry));
        }
        return MergePropertyTest.valid(raw);
    }
}
