package dev.sail.volumes.chunking;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Hashing is deterministic and independent of how the bytes are read: buffer, file range, serial or parallel. */
class ChunkHasherPropertyTest {
    private static final ChunkLayout SMALL = new ChunkLayout(4096, 65536, 16384);
    private static Path dir;

    @BeforeContainer
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("chunk-hasher-properties");
    }

    @AfterContainer
    static void deleteDir() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(dir);
    }

    @Property(tries = 50)
    void parallelHashingGivesTheSerialIds(@ForAll @IntRange(min = 0, max = 200_000) int size,
                                          @ForAll @IntRange(min = 1, max = 4) int parallelism,
                                          @ForAll long seed) throws IOException {
        Path file = write(randomBytes(size, seed));
        try {
            var serial = ChunkHasher.hashFile(file, SMALL);
            assertThat(serial).hasSize(SMALL.count(size));
            assertThat(ChunkHasher.hashFileParallel(file, SMALL, parallelism)).isEqualTo(serial);
            assertThat(ChunkHasher.hashFile(file, SMALL)).as("deterministic").isEqualTo(serial);
        } finally {
            Files.delete(file);
        }
    }

    @Property(tries = 100)
    void fileRangeHashEqualsBufferHash(@ForAll @IntRange(min = 1, max = 20_000) int size,
                                       @ForAll @IntRange(min = 0, max = 20_000) int from,
                                       @ForAll @IntRange(min = 0, max = 20_000) int to,
                                       @ForAll long seed) throws IOException {
        byte[] bytes = randomBytes(size, seed);
        int offset = Math.min(from, to) % (size + 1);
        int end = Math.min(Math.max(from, to), size);
        int length = Math.max(0, end - offset);
        Path file = write(bytes);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ChunkId expected = ChunkHasher.hash(Arrays.copyOfRange(bytes, offset, offset + length));
            assertThat(ChunkHasher.hash(channel, offset, length)).isEqualTo(expected);
            assertThat(ChunkHasher.hash(ByteBuffer.wrap(bytes, offset, length))).isEqualTo(expected);
        } finally {
            Files.delete(file);
        }
    }

    @Property(tries = 100)
    void idsAreDeterministic(@ForAll byte[] bytes) {
        ChunkId first = ChunkHasher.hash(bytes);
        assertThat(ChunkHasher.hash(bytes.clone())).isEqualTo(first);
        assertThat(ChunkHasher.hash(ByteBuffer.wrap(bytes))).isEqualTo(first);
        assertThat(ChunkId.ofHex(first.toString())).isEqualTo(first);
    }

    private static Path write(byte[] bytes) throws IOException {
        return Files.write(Files.createTempFile(dir, "chunk", ".bin"), bytes);
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] bytes = new byte[n];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
