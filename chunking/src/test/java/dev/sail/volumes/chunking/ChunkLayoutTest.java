package dev.sail.volumes.chunking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChunkLayoutTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final ChunkLayout STANDARD = ChunkLayout.STANDARD;

    @Test
    void standardIsEightMibBelowOneGibAndSixtyFourBeyond() {
        assertThat(STANDARD.smallChunk()).isEqualTo(8 * MIB);
        assertThat(STANDARD.largeFrom()).isEqualTo(GIB);
        assertThat(STANDARD.largeChunk()).isEqualTo(64 * MIB);
    }

    @ParameterizedTest(name = "offset {0} is in chunk {1}")
    @CsvSource({
            "0, 0",
            "8388607, 0",          // 8 MiB - 1
            "8388608, 1",          // 8 MiB
            "1073741823, 127",     // 1 GiB - 1
            "1073741824, 128",     // 1 GiB
            "1140850687, 128",     // 1 GiB + 64 MiB - 1
            "1140850688, 129",     // 1 GiB + 64 MiB
    })
    void indexOfAtBoundaries(long offset, int index) {
        assertThat(STANDARD.indexOf(offset)).isEqualTo(index);
    }

    @ParameterizedTest(name = "chunk {0} starts at {1} and holds {2} bytes")
    @CsvSource({
            "0, 0, 8388608",
            "1, 8388608, 8388608",
            "127, 1065353216, 8388608",
            "128, 1073741824, 67108864",
            "129, 1140850688, 67108864",
    })
    void startAndCapacity(int index, long start, int capacity) {
        assertThat(STANDARD.start(index)).isEqualTo(start);
        assertThat(STANDARD.capacity(index)).isEqualTo(capacity);
    }

    @ParameterizedTest(name = "a file of {0} bytes has {1} chunks")
    @CsvSource({
            "0, 0",
            "1, 1",
            "8388607, 1",
            "8388608, 1",
            "8388609, 2",
            "1073741823, 128",
            "1073741824, 128",
            "1073741825, 129",
            "1140850688, 129",
            "1140850689, 130",
    })
    void countForSizes(long size, int count) {
        assertThat(STANDARD.count(size)).isEqualTo(count);
        assertThat(STANDARD.ranges(size)).hasSize(count);
    }

    @Test
    void rangesOfASmallFileEndWithAShortChunk() {
        assertThat(STANDARD.ranges(8 * MIB + 5)).containsExactly(
                new ChunkRange(0, 0, 8 * MIB),
                new ChunkRange(1, 8 * MIB, 5));
    }

    @Test
    void rangesAcrossTheLargeBoundary() {
        List<ChunkRange> ranges = STANDARD.ranges(GIB + 64 * MIB + 1);
        assertThat(ranges).hasSize(130);
        assertThat(ranges.get(127)).isEqualTo(new ChunkRange(127, GIB - 8 * MIB, 8 * MIB));
        assertThat(ranges.get(128)).isEqualTo(new ChunkRange(128, GIB, 64 * MIB));
        assertThat(ranges.get(129)).isEqualTo(new ChunkRange(129, GIB + 64 * MIB, 1));
        assertThat(ranges.get(129).end()).isEqualTo(GIB + 64 * MIB + 1);
    }

    @Test
    void emptyFileHasNoChunks() {
        assertThat(STANDARD.ranges(0)).isEmpty();
        assertThatThrownBy(() -> STANDARD.range(0, 0))
                .isInstanceOf(ChunkingException.class)
                .hasMessage("A file of 0 bytes has no chunk 0");
    }

    @Test
    void rangePastTheEndIsRejected() {
        assertThatThrownBy(() -> STANDARD.range(2, 8 * MIB + 1))
                .isInstanceOf(ChunkingException.class)
                .hasMessage("A file of 8388609 bytes has no chunk 2");
    }

    @Test
    void customLayout() {
        ChunkLayout layout = new ChunkLayout(4096, 65536, 16384);
        assertThat(layout.indexOf(65535)).isEqualTo(15);
        assertThat(layout.indexOf(65536)).isEqualTo(16);
        assertThat(layout.indexOf(65536 + 16384)).isEqualTo(17);
        assertThat(layout.count(65536 + 16385)).isEqualTo(18);
    }

    @Test
    void layoutWithOnlyLargeChunks() {
        ChunkLayout layout = new ChunkLayout(4096, 0, 8192);
        assertThat(layout.ranges(8193)).containsExactly(new ChunkRange(0, 0, 8192), new ChunkRange(1, 8192, 1));
    }

    @ParameterizedTest(name = "layout({0}, {1}, {2}) is rejected")
    @CsvSource(delimiter = '|', value = {
            "0    | 65536 | 16384 | Small chunk size must be a positive power of two, got 0",
            "-4096| 65536 | 16384 | Small chunk size must be a positive power of two, got -4096",
            "3000 | 60000 | 6000  | Small chunk size must be a positive power of two, got 3000",
            "4096 | 65536 | 2048  | Large chunk size must be a positive multiple of the small chunk size 4096, got 2048",
            "4096 | 65536 | 6144  | Large chunk size must be a positive multiple of the small chunk size 4096, got 6144",
            "4096 | 65536 | -8192 | Large chunk size must be a positive multiple of the small chunk size 4096, got -8192",
            "4096 | 69632 | 16384 | Large chunks must begin at a non-negative multiple of the large chunk size 16384, got 69632",
            "4096 | -16384| 16384 | Large chunks must begin at a non-negative multiple of the large chunk size 16384, got -16384",
    })
    void invalidLayoutsAreRejected(int small, long largeFrom, int large, String message) {
        assertThatThrownBy(() -> new ChunkLayout(small, largeFrom, large))
                .isInstanceOf(ChunkingException.class)
                .hasMessage(message);
    }

    @Test
    void outOfRangeInputsAreRejected() {
        assertThatThrownBy(() -> STANDARD.indexOf(-1))
                .isInstanceOf(ChunkingException.class).hasMessage("Offset out of range: -1");
        assertThatThrownBy(() -> STANDARD.indexOf(ChunkLayout.MAX_FILE_SIZE))
                .isInstanceOf(ChunkingException.class).hasMessage("Offset out of range: 1125899906842624");
        assertThatThrownBy(() -> STANDARD.count(-1))
                .isInstanceOf(ChunkingException.class).hasMessage("File size out of range: -1");
        assertThatThrownBy(() -> STANDARD.count(ChunkLayout.MAX_FILE_SIZE + 1))
                .isInstanceOf(ChunkingException.class).hasMessage("File size out of range: 1125899906842625");
        assertThatThrownBy(() -> STANDARD.start(-1))
                .isInstanceOf(ChunkingException.class).hasMessage("Chunk index must be non-negative, got -1");
    }

    @Test
    void theLargestFileFitsTheStandardLayout() {
        int count = STANDARD.count(ChunkLayout.MAX_FILE_SIZE);
        assertThat(count).isEqualTo(128 + (int) ((ChunkLayout.MAX_FILE_SIZE - GIB) / (64 * MIB)));
        assertThat(STANDARD.indexOf(ChunkLayout.MAX_FILE_SIZE - 1)).isEqualTo(count - 1);
    }

    @Test
    void aTinyLayoutRejectsFilesWithMoreThanIntMaxChunks() {
        ChunkLayout tiny = new ChunkLayout(1, 0, 1);
        assertThat(tiny.count(Integer.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
        assertThatThrownBy(() -> tiny.count(Integer.MAX_VALUE + 1L))
                .isInstanceOf(ChunkingException.class)
                .hasMessage("A file of 2147483648 bytes needs more than 2147483647 chunks under layout "
                        + "ChunkLayout[smallChunk=1, largeFrom=0, largeChunk=1]");
        assertThatThrownBy(() -> tiny.indexOf(Integer.MAX_VALUE + 1L))
                .isInstanceOf(ChunkingException.class)
                .hasMessage("Offset 2147483648 is beyond the last chunk index of layout "
                        + "ChunkLayout[smallChunk=1, largeFrom=0, largeChunk=1]");
    }

    @Test
    void invalidChunkRangeIsRejected() {
        assertThatThrownBy(() -> new ChunkRange(0, 0, 0))
                .isInstanceOf(ChunkingException.class)
                .hasMessage("Invalid chunk range: index 0, offset 0, length 0");
    }
}
