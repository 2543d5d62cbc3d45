package dev.sail.volumes.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.chunking.ChunkHasher;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class DeltaTest {
    private static final Entry.Directory DIR = new Entry.Directory(0755, 0);

    private static Entry file(int content) {
        return new Entry.File(1, 0644, content, List.of(ChunkHasher.hash(new byte[] {(byte) content})));
    }

    private static VolumePath p(String path) {
        return VolumePath.of(path);
    }

    @Test
    void listsEveryDifferingPathSortedWithDeletesPathByPath() {
        Map<VolumePath, Entry> from = Map.of(p("a"), DIR, p("a/x"), file(1), p("a/y"), file(2), p("b"), file(3), p("c"), file(4));
        Map<VolumePath, Entry> to = Map.of(p("b"), file(30), p("c"), file(4), p("a-b"), DIR, p("d"), DIR);
        assertThat(Delta.between(from, to)).containsExactly(
                new Change(p("a"), Entry.DELETED),
                new Change(p("a/x"), Entry.DELETED),
                new Change(p("a/y"), Entry.DELETED),
                new Change(p("a-b"), DIR),
                new Change(p("b"), file(30)),
                new Change(p("d"), DIR));
        assertThat(Delta.apply(from, Delta.between(from, to))).isEqualTo(to);
    }

    @Test
    void equalStatesHaveNoDelta() {
        Map<VolumePath, Entry> state = Map.of(p("a"), DIR, p("a/x"), file(1));
        assertThat(Delta.between(state, new TreeMap<>(state))).isEmpty();
        assertThat(Delta.between(Map.of(), Map.of())).isEmpty();
    }

    @Test
    void applyLeavesItsInputAlone() {
        TreeMap<VolumePath, Entry> state = new TreeMap<>(Map.of(p("a"), file(1)));
        Map<VolumePath, Entry> applied = Delta.apply(state, List.of(new Change(p("a"), Entry.DELETED), new Change(p("b"), DIR)));
        assertThat(applied).containsExactly(Map.entry(p("b"), DIR));
        assertThat(state).containsExactly(Map.entry(p("a"), file(1)));
    }

    @Test
    void theRootIsImplicit() {
        Map<VolumePath, Entry> withRoot = Map.of(VolumePath.ROOT, DIR, p("a"), file(1));
        assertThat(Delta.between(withRoot, Map.of(p("a"), file(1)))).isEmpty();
        assertThat(Delta.between(Map.of(), Map.of(VolumePath.ROOT, new Entry.Directory(0700, 0))))
                .containsExactly(new Change(VolumePath.ROOT, new Entry.Directory(0700, 0)));
    }

    @Test
    void statesHoldNoDeleteMarkers() {
        assertThatThrownBy(() -> Delta.between(Map.of(p("a"), Entry.DELETED), Map.of()))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_entry"))
                .hasMessage("A state holds existing entries only, but 'from' holds a delete marker at 'a'");
        assertThatThrownBy(() -> Delta.apply(Map.of(VolumePath.ROOT, file(1)), List.of()))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_change"))
                .hasMessageStartingWith("The volume root is always a directory, but 'state' holds File[");
    }
}
