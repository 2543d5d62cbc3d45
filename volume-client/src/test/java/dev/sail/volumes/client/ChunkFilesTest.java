package dev.sail.volumes.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkFilesTest {
    @TempDir
    Path temp;

    @Test
    void chunkBytesAreWrittenOverWhatTheFileHeld() throws IOException {
        Path target = temp.resolve("chunk");
        Files.writeString(target, "an older and longer content");

        long written = ChunkFiles.write(ByteBuffer.wrap("new".getBytes(StandardCharsets.UTF_8)), target);

        assertThat(written).isEqualTo(3);
        assertThat(Files.readString(target)).isEqualTo("new");
    }
}
