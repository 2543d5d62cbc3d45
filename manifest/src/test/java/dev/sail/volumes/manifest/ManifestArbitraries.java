package dev.sail.volumes.manifest;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/** Generators of valid values for property tests, with awkward text (unicode, quotes, escapes) on purpose. */
final class ManifestArbitraries {
    private ManifestArbitraries() {
    }

    /** Text with ASCII, quotes and backslashes, control characters, accents, CJK and emoji. */
    static Arbitrary<String> awkwardText(int maxLength) {
        Arbitrary<String> pieces = Arbitraries.of("a", "b", "Z", "0", " ", "\"", "\\", "\t", "\u0001", "é", "日", "😀", ".", "-", "\uE000");
        return pieces.list().ofMinSize(1).ofMaxSize(maxLength).map(list -> String.join("", list));
    }

    static Arbitrary<String> names() {
        return awkwardText(8).filter(name -> !name.equals(".") && !name.equals(".."));
    }

    static Arbitrary<VolumePath> paths() {
        return names().list().ofMinSize(1).ofMaxSize(4).map(names -> VolumePath.of(String.join("/", names)));
    }

    static Arbitrary<ChunkId> chunkIds() {
        return Arbitraries.bytes().array(byte[].class).ofSize(ChunkId.BYTES).map(ChunkId::ofDigest);
    }

    static Arbitrary<Integer> modes() {
        return Arbitraries.integers().between(0, Entry.MODE_MASK);
    }

    static Arbitrary<Entry.File> files() {
        ChunkLayout layout = new ChunkLayout(4096, 65536, 16384);
        return Combinators.combine(Arbitraries.longs().between(0, 200_000), modes(), Arbitraries.longs(), chunkIds())
                .as((size, mode, mtime, id) -> new Entry.File(size, mode, mtime,
                        java.util.Collections.nCopies(layout.count(size), id)));
    }

    static Arbitrary<Entry> existingEntries() {
        Arbitrary<Entry> dirs = Combinators.combine(modes(), Arbitraries.longs()).as(Entry.Directory::new);
        Arbitrary<Entry> links = Combinators.combine(awkwardText(20), Arbitraries.longs()).as(Entry.Symlink::new);
        return Arbitraries.frequencyOf(Tuple.of(3, files().map(f -> (Entry) f)), Tuple.of(2, dirs), Tuple.of(1, links));
    }

    static Arbitrary<Entry> entries() {
        return Arbitraries.frequencyOf(Tuple.of(5, existingEntries()), Tuple.of(1, Arbitraries.just(Entry.DELETED)));
    }

    static Arbitrary<CommitProposal> proposals() {
        Arbitrary<List<Change>> changes = Combinators.combine(paths(), entries()).as(Change::new).list().ofMaxSize(6)
                .map(MergePropertyTest::valid);
        return Combinators.combine(Arbitraries.longs().between(0, Long.MAX_VALUE), awkwardText(30).filter(key -> !key.isBlank()), awkwardText(10), changes)
                .as(CommitProposal::new);
    }
}
