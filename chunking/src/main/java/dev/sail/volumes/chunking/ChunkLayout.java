package dev.sail.volumes.chunking;

import java.util.ArrayList;
import java.util.List;

/**
 * Where chunk boundaries fall in a file: a pure function of the offset, never of the file's size.
 *
 * <p>Offsets below {@link #largeFrom()} are cut into chunks of {@link #smallChunk()} bytes; from
 * there on, into chunks of {@link #largeChunk()} bytes. Because a boundary depends only on the
 * offset, appending to a file whose last chunk is full leaves every earlier chunk unchanged, and
 * rewriting bytes inside one chunk changes that chunk alone.
 *
 * <p>{@link #STANDARD} is the layout of every volume; other layouts exist for tests that want
 * small chunks. Immutable and thread-safe.
 *
 * @param smallChunk bytes per chunk below {@code largeFrom}; a power of two
 * @param largeFrom  the offset where large chunks begin; a multiple of {@code smallChunk} and of {@code largeChunk}
 * @param largeChunk bytes per chunk from {@code largeFrom} on; a multiple of {@code smallChunk}
 */
public record ChunkLayout(int smallChunk, long largeFrom, int largeChunk) {
    /** 8 MiB chunks up to 1 GiB of offset, 64 MiB chunks beyond. The numbers live here and nowhere else. */
    public static final ChunkLayout STANDARD = new ChunkLayout(8 << 20, 1L << 30, 64 << 20);

    /**
     * The largest file any layout accepts (1 PiB). A layout may accept less: chunk indexes are
     * {@code int}s, so a file may have at most {@link Integer#MAX_VALUE} chunks (under
     * {@link #STANDARD} that is never the binding limit; under a tiny test layout it can be).
     */
    public static final long MAX_FILE_SIZE = 1L << 50;

    public ChunkLayout {
        if (smallChunk <= 0 || Integer.bitCount(smallChunk) != 1) {
            throw new ChunkingException("Small chunk size must be a positive power of two, got " + smallChunk);
        }
        if (largeChunk < smallChunk || largeChunk % smallChunk != 0) {
            throw new ChunkingException("Large chunk size must be a positive multiple of the small chunk size "
                    + smallChunk + ", got " + largeChunk);
        }
        // A multiple of largeChunk is a multiple of smallChunk too.
        if (largeFrom < 0 || largeFrom % largeChunk != 0) {
            throw new ChunkingException("Large chunks must begin at a non-negative multiple of the large chunk size "
                    + largeChunk + ", got " + largeFrom);
        }
    }

    /** The number of small chunks before large chunks begin. */
    private long smallCount() {
        return largeFrom / smallChunk;
    }

    /**
     * The index of the chunk that holds the byte at {@code offset}.
     *
     * @throws ChunkingException if the offset is negative, at or past {@link #MAX_FILE_SIZE}, or
     *                           its chunk index does not fit in an {@code int} under this layout
     */
    public int indexOf(long offset) {
        checkOffset(offset);
        long index = offset < largeFrom ? offset / smallChunk : smallCount() + (offset - largeFrom) / largeChunk;
        if (index > Integer.MAX_VALUE) {
            throw new ChunkingException("Offset " + offset + " is beyond the last chunk index of layout " + this);
        }
        return (int) index;
    }

    /** Where chunk {@code index} begins (it need not lie inside any particular file). */
    public long start(int index) {
        if (index < 0) {
            throw new ChunkingException("Chunk index must be non-negative, got " + index);
        }
        long small = smallCount();
        if (index < small) {
            return (long) index * smallChunk;
        }
        return largeFrom + (index - small) * largeChunk;
    }

    /** How many bytes chunk {@code index} holds when it is full. */
    public int capacity(int index) {
        return start(index) < largeFrom ? smallChunk : largeChunk;
    }

    /**
     * How many chunks a file of {@code size} bytes has (zero for an empty file).
     *
     * @throws ChunkingException if the size is negative, over {@link #MAX_FILE_SIZE}, or needs
     *                           more than {@link Integer#MAX_VALUE} chunks under this layout
     */
    public int count(long size) {
        checkSize(size);
        if (size == 0) {
            return 0;
        }
        long last = size - 1 < largeFrom ? (size - 1) / smallChunk : smallCount() + (size - 1 - largeFrom) / largeChunk;
        if (last >= Integer.MAX_VALUE) {
            throw new ChunkingException("A file of " + size + " bytes needs more than " + Integer.MAX_VALUE
                    + " chunks under layout " + this);
        }
        return (int) last + 1;
    }

    /**
     * Chunk {@code index} of a file of {@code size} bytes.
     *
     * @throws ChunkingException if the file has no chunk {@code index}
     */
    public ChunkRange range(int index, long size) {
        checkSize(size);
        long start = start(index);
        if (start >= size) {
            throw new ChunkingException("A file of " + size + " bytes has no chunk " + index);
        }
        return new ChunkRange(index, start, Math.min(capacity(index), size - start));
    }

    /** The chunks of a file of {@code size} bytes, in order: they cover [0, size) exactly. */
    public List<ChunkRange> ranges(long size) {
        int count = count(size);
        List<ChunkRange> ranges = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ranges.add(range(i, size));
        }
        return List.copyOf(ranges);
    }

    private static void checkOffset(long offset) {
        if (offset < 0 || offset >= MAX_FILE_SIZE) {
            throw new ChunkingException("Offset out of range: " + offset);
        }
    }

    private static void checkSize(long size) {
        if (size < 0 || size > MAX_FILE_SIZE) {
            throw new ChunkingException("File size out of range: " + size);
        }
    }
}
