package dev.sail.volumes.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Pins format 1 byte for byte: every value encodes to exactly its golden file, and every golden file
 * decodes to exactly its value. If one of these fails, the wire format changed: that needs a new
 * format number and new golden files, never an edit of these.
 */
class WireCodecGoldenTest {

    private static byte[] golden(String name) throws IOException {
        try (InputStream in = WireCodecGoldenTest.class.getResourceAsStream("/golden/format-1/" + name)) {
            assertThat(in).as("golden file %s", name).isNotNull();
            return in.readAllBytes();
        }
    }

    private static <T> void assertGolden(String name, T value, Function<T, JsonNode> encode, Function<JsonNode, T> decode)
            throws IOException {
        byte[] expected = golden(name);
        assertThat(new String(WireCodec.bytes(encode.apply(value)), StandardCharsets.UTF_8))
                .as("encoding of %s", name)
                .isEqualTo(new String(expected, StandardCharsets.UTF_8));
        assertThat(WireCodec.bytes(encode.apply(value))).isEqualTo(expected);
        assertThat(decode.apply(WireCodec.parse(expected))).as("decoding of %s", name).isEqualTo(value);
    }

    @Test
    void fileEntry() throws IOException {
        assertGolden("entry-file.json", GoldenValues.FILE, WireCodec::entryNode, WireCodec::entry);
    }

    @Test
    void directoryEntry() throws IOException {
        assertGolden("entry-dir.json", GoldenValues.DIR, WireCodec::entryNode, WireCodec::entry);
    }

    @Test
    void symlinkEntry() throws IOException {
        assertGolden("entry-symlink.json", GoldenValues.SYMLINK, WireCodec::entryNode, WireCodec::entry);
    }

    @Test
    void deletedEntry() throws IOException {
        assertGolden("entry-deleted.json", (Entry) Entry.DELETED, WireCodec::entryNode, WireCodec::entry);
    }

    @Test
    void change() throws IOException {
        assertGolden("change.json", GoldenValues.CHANGE, WireCodec::changeNode, WireCodec::change);
    }

    @Test
    void version() throws IOException {
        assertGolden("version.json", GoldenValues.VERSION, WireCodec::versionedNode, WireCodec::versioned);
    }

    @Test
    void proposal() throws IOException {
        assertGolden("proposal.json", GoldenValues.PROPOSAL, WireCodec::proposalNode, WireCodec::proposal);
    }

    @Test
    void goldenFilesAreCompactUtf8WithoutATrailingNewline() throws IOException {
        byte[] change = golden("change.json");
        assertThat(change[change.length - 1]).isEqualTo((byte) '}');
        assertThat(new String(change, StandardCharsets.UTF_8)).contains("日本").doesNotContain(" ", "\\u");
    }
}
