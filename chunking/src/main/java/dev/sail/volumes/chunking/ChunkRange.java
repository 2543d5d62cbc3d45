package dev.sail.volumes.chunking;

/**
 * One chunk of a file: its index in the file, where it starts, and how many bytes of the file it
 * holds (the last chunk of a file may be shorter than its {@link ChunkLayout#capacity(int) capacity}).
 */
public record ChunkRange(int index, long offset, long length) {
    public ChunkRange {
        if (index < 0 || offset < 0 || length <= 0) {
            throw new ChunkingException("Invalid chunk range: index " + index + ", offset " + offset + ", length " + length);
        }
    }

    /** The offset one past the last byte. */
    public long end() {
        return offset + length;
    }
}
