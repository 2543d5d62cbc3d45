package dev.sail.volumes.chunking;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/** Properties of every layout: exact coverage, and boundaries that depend on the offset alone. */
class ChunkLayoutPropertyTest {

    /** Chunks of 8 B to 4 KiB, so that a few hundred KiB of file exercise both regions fast. */
    @Provide
    Arbitrary<ChunkLayout> layouts() {
        Arbitrary<Integer> smallShift = Arbitraries.integers().between(3, 12);
        Arbitrary<Integer> largeFactor = Arbitraries.integers().between(1, 8);
        Arbitrary<Integer> largeCount = Arbitraries.integers().between(0, 6);
        return Combinators.combine(smallShift, largeFactor, largeCount).as((shift, factor, count) -> {
            int small = 1 << shift;
            int large = small * factor;
            return new ChunkLayout(small, (long) large * count, large);
        });
    }

    @Provide
    Arbitrary<Long> sizes() {
        return Arbitraries.longs().between(0, 1L << 18).edgeCases(c -> c.includeOnly(0L, 1L));
    }

    @Property
    void chunksCoverTheFileExactly(@ForAll("layouts") ChunkLayout layout, @ForAll("sizes") long size) {
        List<ChunkRange> ranges = layout.ranges(size);
        assertThat(ranges).hasSize(layout.count(size));
        long expectedOffset = 0;
        for (int i = 0; i < ranges.size(); i++) {
            ChunkRange range = ranges.get(i);
            assertThat(range.index()).isEqualTo(i);
            assertThat(range.offset()).as("no gap or overlap before chunk %d", i).isEqualTo(expectedOffset);
            assertThat(range.length()).isPositive().isLessThanOrEqualTo(layout.capacity(i));
            if (i < ranges.size() - 1) {
                assertThat(range.length()).as("only the last chunk may be short").isEqualTo(layout.capacity(i));
            }
            assertThat(layout.indexOf(range.offset())).isEqualTo(i);
            assertThat(layout.indexOf(range.end() - 1)).isEqualTo(i);
            expectedOffset = range.end();
        }
        assertThat(expectedOffset).isEqualTo(size);
    }

    @Property
    void boundariesAreStableUnderAppend(@ForAll("layouts") ChunkLayout layout,
                                        @ForAll("sizes") long size,
                                        @ForAll @LongRange(min = 0, max = 1L << 17) long appended) {
        List<ChunkRange> before = layout.ranges(size);
        List<ChunkRange> after = layout.ranges(size + appended);
        // Every chunk wholly below the old size (full, and not the short tail) is identical after the append.
        for (ChunkRange range : before) {
            if (range.length() == layout.capacity(range.index())) {
                assertThat(after.get(range.index())).isEqualTo(range);
            }
        }
        // A size that ends on a full chunk gives a prefix of the larger file's chunks.
        if (!before.isEmpty() && before.getLast().length() == layout.capacity(before.getLast().index())) {
            assertThat(after.subList(0, before.size())).isEqualTo(before);
        }
    }

    @Property
    void theChunkOfAnOffsetDoesNotDependOnTheFileSize(@ForAll("layouts") ChunkLayout layout,
                                                       @ForAll @LongRange(min = 0, max = 1L << 18) long offset,
                                                       @ForAll @LongRange(min = 1, max = 1L << 17) long beyond) {
        int index = layout.indexOf(offset);
        ChunkRange range = layout.range(index, offset + beyond);
        assertThat(range.offset()).isLessThanOrEqualTo(offset);
        assertThat(range.offset()).isEqualTo(layout.start(index));
        assertThat(offset).isLessThan(range.offset() + layout.capacity(index));
    }
}
