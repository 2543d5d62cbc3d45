package dev.sail.volumes.client;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Chunk bytes held in memory, written to a file. Stateless. */
public final class ChunkFiles {
    private ChunkFiles() {
    }

    /** Writes {@code bytes} (from their position to their limit) into {@code target}, created or truncated; answers the count. */
    public static long write(ByteBuffer bytes, Path target) throws IOException {
        long size = bytes.remaining();
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        }
        return size;
    }
}
