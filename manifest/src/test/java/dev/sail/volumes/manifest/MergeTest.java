package dev.sail.volumes.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.chunking.ChunkHasher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MergeTest {
    private static final Entry.Directory AUTO_DIR = new Entry.Directory(0755, 0);

    private final InMemoryManifest volume = new InMemoryManifest();
    private int keys;

    private static Entry.File file(int content) {
        return new Entry.File(1, 0644, content, List.of(ChunkHasher.hash(new byte[] {(byte) content})));
    }

    private static Change change(String path, Entry entry) {
        return new Change(VolumePath.of(path), entry);
    }

    private static Change delete(String path) {
        return change(path, Entry.DELETED);
    }

    private static List<VolumePath> paths(String... paths) {
        List<VolumePath> result = new ArrayList<>();
        for (String path : paths) {
            result.add(VolumePath.of(path));
        }
        return result;
    }

    private MergeResult commit(long base, Change... changes) {
        return volume.commit(new CommitProposal(base, "k" + keys++, "mount", List.of(changes)));
    }

    private Map<VolumePath, Entry> state() {
        return volume.snapshot();
    }

    @Test
    void concurrentCommitsToDifferentPathsBothSurvive() {
        assertThat(commit(0, change("a", file(1))).overwritten()).isEmpty();
        assertThat(commit(0, change("b", file(2))).overwritten()).isEmpty();
        assertThat(state()).containsExactly(
                Map.entry(VolumePath.of("a"), file(1)),
                Map.entry(VolumePath.of("b"), file(2)));
        assertThat(volume.headSeq()).isEqualTo(2);
    }

    @Test
    void forOnePathTheLastCommitWinsAndReportsOnlyChangesAfterItsBase() {
        commit(0, change("a", file(1)));
        MergeResult second = commit(0, change("a", file(2)));
        assertThat(second.overwritten()).as("changed by commit 1, after base 0").isEqualTo(paths("a"));
        assertThat(state()).containsEntry(VolumePath.of("a"), file(2));

        MergeResult third = commit(2, change("a", file(3)));
        assertThat(third.overwritten()).as("the committer had seen commit 2").isEmpty();
        assertThat(state()).containsEntry(VolumePath.of("a"), file(3));
        assertThat(volume.find(VolumePath.of("a")).orElseThrow().seq()).isEqualTo(3);
    }

    @Test
    void writingUnderAFileMakesItADirectoryAndReportsIt() {
        commit(0, change("a", file(1)));
        MergeResult result = commit(0, change("a/b", file(2)));
        assertThat(result.overwritten()).isEqualTo(paths("a"));
        assertThat(result.writes()).containsExactly(change("a", AUTO_DIR), change("a/b", file(2)));
        assertThat(state()).containsExactly(
                Map.entry(VolumePath.of("a"), AUTO_DIR),
                Map.entry(VolumePath.of("a/b"), file(2)));
    }

    @Test
    void replacingADirectoryWithAFileDeletesItsSubtreeAndReportsWhatChangedSinceTheBase() {
        commit(0, change("a/b", file(1)), change("a/c", file(2)));
        commit(1, change("a/c", file(3)));
        MergeResult result = commit(1, change("a", file(4)));
        assertThat(result.overwritten()).as("only a/c changed after base 1").isEqualTo(paths("a/c"));
        assertThat(result.writes()).containsExactly(
                change("a", file(4)), delete("a/b"), delete("a/c"));
        assertThat(state()).containsExactly(Map.entry(VolumePath.of("a"), file(4)));
    }

    @Test
    void replacingADirectoryWithASymlinkDeletesItsSubtree() {
        commit(0, change("d/x", file(1)));
        MergeResult result = commit(0, change("d", new Entry.Symlink("elsewhere", 0)));
        assertThat(result.overwritten()).as("both were created after base 0").isEqualTo(paths("d", "d/x"));
        assertThat(state()).containsExactly(Map.entry(VolumePath.of("d"), new Entry.Symlink("elsewhere", 0)));
    }

    @Test
    void deletingADirectoryDeletesItsSubtree() {
        commit(0, change("a/b/c", file(1)), change("a/d", file(2)), change("ab", file(3)));
        MergeResult result = commit(1, delete("a"));
        assertThat(result.overwritten()).isEmpty();
        assertThat(result.writes()).containsExactly(delete("a"), delete("a/b"), delete("a/b/c"), delete("a/d"));
        assertThat(state()).containsOnlyKeys(VolumePath.of("ab"));
        assertThat(volume.find(VolumePath.of("a/b/c")).orElseThrow())
                .isEqualTo(new Versioned(VolumePath.of("a/b/c"), Entry.DELETED, 2));
    }

    @Test
    void deletingADirectoryReportsDescendantsChangedSinceTheBase() {
        commit(0, change("a/b", file(1)));
        commit(1, change("a/c", file(2)));
        MergeResult result = commit(1, delete("a"));
        assertThat(result.overwritten()).isEqualTo(paths("a/c"));
        assertThat(state()).isEmpty();
    }

    @Test
    void writingAPathCreatesItsParents() {
        MergeResult result = commit(0, change("x/y/z", file(1)));
        assertThat(result.writes()).containsExactly(
                change("x", AUTO_DIR), change("x/y", AUTO_DIR), change("x/y/z", file(1)));
        assertThat(volume.list(VolumePath.ROOT)).extracting(Versioned::path).containsExactly(VolumePath.of("x"));
        assertThat(volume.list(VolumePath.of("x"))).extracting(Versioned::path).containsExactly(VolumePath.of("x/y"));
    }

    @Test
    void anExistingParentDirectoryIsLeftAlone() {
        commit(0, change("d", new Entry.Directory(0700, 9)), change("d/x", file(1)));
        MergeResult result = commit(0, change("d/y", file(2)));
        assertThat(result.writes()).containsExactly(change("d/y", file(2)));
        assertThat(result.overwritten()).isEmpty();
        assertThat(state()).containsEntry(VolumePath.of("d"), new Entry.Directory(0700, 9));
    }

    @Test
    void deletingAMissingPathWritesNothing() {
        MergeResult result = commit(0, delete("nope"), delete("a/b"));
        assertThat(result.writes()).isEmpty();
        assertThat(result.overwritten()).isEmpty();
        assertThat(volume.find(VolumePath.of("nope"))).isEmpty();

        commit(1, change("gone", file(1)));
        commit(2, delete("gone"));
        MergeResult again = commit(0, delete("gone"));
        assertThat(again.writes()).as("already deleted").isEmpty();
        assertThat(again.overwritten()).isEmpty();
    }

    @Test
    void aDirectoryOverADirectoryIsNeverReported() {
        commit(0, change("d", new Entry.Directory(0700, 1)), change("d/x", file(1)));
        MergeResult result = commit(0, change("d", new Entry.Directory(0755, 2)));
        assertThat(result.overwritten()).isEmpty();
        assertThat(result.writes()).containsExactly(change("d", new Entry.Directory(0755, 2)));
        assertThat(state()).containsEntry(VolumePath.of("d"), new Entry.Directory(0755, 2))
                .containsEntry(VolumePath.of("d/x"), file(1));
    }

    @Test
    void recreatingAPathDeletedSinceTheBaseIsReported() {
        commit(0, change("a", file(1)));
        commit(1, delete("a"));
        MergeResult result = commit(1, change("a", file(2)));
        assertThat(result.overwritten()).isEqualTo(paths("a"));
        assertThat(state()).containsEntry(VolumePath.of("a"), file(2));
    }

    @Test
    void aCommitNeverReportsItsOwnWrites() {
        commit(0, change("a", file(1)));
        // a becomes a directory for a/b (reported), and then a/b/c forces a/b, which this commit just wrote.
        MergeResult result = commit(0, change("a/b", new Entry.Directory(0700, 0)), change("a/b/c", file(2)));
        assertThat(result.overwritten()).isEqualTo(paths("a"));
    }

    @Test
    void theRootMayBeWrittenAsADirectory() {
        MergeResult result = commit(0, change("", new Entry.Directory(0700, 5)));
        assertThat(result.writes()).containsExactly(change("", new Entry.Directory(0700, 5)));
        assertThat(volume.find(VolumePath.ROOT).orElseThrow().entry()).isEqualTo(new Entry.Directory(0700, 5));
    }

    @Test
    void aBaseAheadOfTheHeadIsStale() {
        commit(0, change("a", file(1)));
        assertThatThrownBy(() -> commit(2, change("b", file(2))))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("stale_base"))
                .hasMessage("Cannot commit on base sequence 2: the head is at 1");
        assertThat(volume.headSeq()).isEqualTo(1);
    }

    @Test
    void mergeLeavesTheViewUntouched() {
        commit(0, change("a/b", file(1)));
        Map<VolumePath, Entry> before = state();
        MergeResult result = Merge.apply(volume, new CommitProposal(0, "k", "m", List.of(delete("a"))));
        assertThat(result.writes()).hasSize(2);
        assertThat(state()).isEqualTo(before);
    }
}
