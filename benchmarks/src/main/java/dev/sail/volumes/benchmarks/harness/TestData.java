package dev.sail.volumes.benchmarks.harness;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/**
 * Incompressible test bytes, cheap to produce: one random 8 MiB block whose first 16 bytes are
 * replaced, per 8 MiB of output, by a (stream, block) stamp. Every 8 MiB chunk of every stream is
 * therefore distinct (no chunk deduplicates against another), yet writing costs a copy, not a
 * random-number generator. Thread-safe (the template is never written after construction).
 */
final class TestData {
    static final int BLOCK = 8 << 20;
    private static final int WRITE = 1 << 20;

    private final byte[] template = new byte[BLOCK];
    private final long runStamp;

    TestData(long seed) {
        new SplittableRandom(seed).nextBytes(template);
        this.runStamp = seed;
    }

    /** The bytes of stream {@code stream} from {@code offset} (a multiple of 1 MiB), {@code length} ≤ 1 MiB of them. */
    ByteBuffer slice(long stream, long offset, int length) {
        int within = (int) (offset % BLOCK);
        ByteBuffer buffer = ByteBuffer.allocate(length);
        buffer.put(template, within, length);
        if (within == 0 && length >= 24) {
            buffer.putLong(0, runStamp).putLong(8, stream).putLong(16, offset / BLOCK);
        }
        return buffer.flip();
    }

    /** Chunk {@code index} of {@code stream}: {@code size} bytes starting at {@code index * BLOCK}. */
    ByteBuffer chunk(long stream, long index, int size) {
        ByteBuffer buffer = ByteBuffer.allocate(size);
        long offset = index * BLOCK;
        for (int done = 0; done < size; done += WRITE) {
            buffer.put(slice(stream, offset + done, Math.min(WRITE, size - done)));
        }
        return buffer.flip();
    }

    /** Writes {@code size} bytes of stream {@code stream} to {@code file} (created or truncated), 1 MiB per write. */
    void writeFile(Path file, long stream, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long offset = 0; offset < size; offset += WRITE) {
                ByteBuffer buffer = slice(stream, offset, (int) Math.min(WRITE, size - offset));
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
        }
    }

    /** Stream {@code stream}'s first {@code size} bytes as an input stream (for objects put straight into S3). */
    java.io.InputStream inputStream(long stream, long size) {
        return new java.io.InputStream() {
            private long offset;
            private ByteBuffer current = ByteBuffer.allocate(0);

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] target, int at, int length) {
                if (!current.hasRemaining()) {
                    if (offset >= size) {
                        return -1;
                    }
                    int n = (int) Math.min(WRITE, size - offset);
                    current = slice(stream, offset, n);
                    offset += n;
                }
                int n = Math.min(length, current.remaining());
                current.get(target, at, n);
                return n;
            }
        };
    }

    /** A small file's bytes (at most 8 MiB), distinct per stream. */
    byte[] small(long stream, int size) {
        ByteBuffer buffer = slice(stream, 0, size);
        if (size < 24) {
            throw new IllegalArgumentException("Small files of at least 24 bytes, got " + size);
        }
        byte[] bytes = new byte[size];
        buffer.get(bytes);
        return bytes;
    }
}
