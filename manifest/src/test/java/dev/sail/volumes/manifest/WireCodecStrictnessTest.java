package dev.sail.volumes.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.stream.Stream;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Everything the codec refuses, each with its code and the one line a client sees. */
class WireCodecStrictnessTest {
    private static final String HEX = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    private static final String PROPOSAL_HEAD = "{\"format\":1,\"baseSeq\":0,\"idempotencyKey\":\"k\",\"mountId\":\"m\",";

    private static Arguments entry(String json, String code, String message) {
        return Arguments.of("entry", json, code, message);
    }

    private static Arguments change(String json, String code, String message) {
        return Arguments.of("change", json, code, message);
    }

    private static Arguments version(String json, String code, String message) {
        return Arguments.of("version", json, code, message);
    }

    private static Arguments proposal(String json, String code, String message) {
        return Arguments.of("proposal", json, code, message);
    }

    static Stream<Arguments> rejected() {
        return Stream.of(
                entry("{\"type\":\"dir\",\"mode\":493,\"mtimeNanos\":0,\"extra\":1}", "invalid_json",
                        "Invalid request: entry: unknown field 'extra'"),
                entry("{\"type\":\"deleted\",\"mode\":493}", "invalid_json", "Invalid request: entry: unknown field 'mode'"),
                entry("{\"type\":\"dir\",\"mode\":\"493\",\"mtimeNanos\":0}", "invalid_json",
                        "Invalid request: 'mode' must be an integer"),
                entry("{\"type\":\"file\",\"size\":1.5,\"mode\":420,\"mtimeNanos\":0,\"chunks\":[]}", "invalid_json",
                        "Invalid request: 'size' must be an integer"),
                entry("{\"type\":\"dir\",\"mode\":4294967296,\"mtimeNanos\":0}", "invalid_json",
                        "Invalid request: 'mode' is out of range"),
                entry("{\"type\":\"dir\",\"mode\":493,\"mtimeNanos\":99999999999999999999}", "invalid_json",
                        "Invalid request: 'mtimeNanos' must be an integer"),
                entry("{\"type\":\"dir\",\"mode\":493}", "invalid_json", "Invalid request: missing field 'mtimeNanos'"),
                entry("{\"type\":\"dir\",\"mode\":null,\"mtimeNanos\":0}", "invalid_json", "Invalid request: missing field 'mode'"),
                entry("{\"mode\":493,\"mtimeNanos\":0}", "invalid_json", "Invalid request: missing field 'type'"),
                entry("{\"type\":7}", "invalid_json", "Invalid request: 'type' must be a string"),
                entry("{\"type\":\"fifo\"}", "invalid_json",
                        "Invalid request: entry: unknown type 'fifo' (file, dir, symlink or deleted)"),
                entry("{\"type\":\"file\",\"size\":1,\"mode\":420,\"mtimeNanos\":0,\"chunks\":\"" + HEX + "\"}", "invalid_json",
                        "Invalid request: 'chunks' must be an array"),
                entry("{\"type\":\"file\",\"size\":1,\"mode\":420,\"mtimeNanos\":0,\"chunks\":[\"xyz\"]}", "invalid_chunk",
                        "A chunk id is 64 hex characters, got 'xyz'"),
                entry("{\"type\":\"file\",\"size\":1,\"mode\":420,\"mtimeNanos\":0,\"chunks\":[\"" + HEX.toUpperCase() + "\"]}",
                        "invalid_chunk", "A chunk id is lower-case hex, got '" + HEX.toUpperCase() + "'"),
                entry("{\"type\":\"file\",\"size\":1,\"mode\":420,\"mtimeNanos\":0,\"chunks\":[7]}", "invalid_json",
                        "Invalid request: a chunk id must be a string of 64 hex characters"),
                entry("{\"type\":\"file\",\"size\":-1,\"mode\":420,\"mtimeNanos\":0,\"chunks\":[]}", "invalid_entry",
                        "Invalid file entry: size -1 is out of range"),
                entry("{\"type\":\"dir\",\"mode\":16877,\"mtimeNanos\":0}", "invalid_entry",
                        "Invalid mode 40755: only permission bits (07777) are stored"),
                entry("{\"type\":\"symlink\",\"target\":\"\",\"mtimeNanos\":0}", "invalid_entry",
                        "Invalid symlink: its target must be non-empty and without NUL"),
                entry("[]", "invalid_json", "Invalid request: entry must be a JSON object"),
                entry("null", "invalid_json", "Invalid request: entry must be a JSON object"),
                entry("", "invalid_json", "Invalid request: the body is empty"),
                entry("   ", "invalid_json", "Invalid request: the body is empty"),
                change("{\"type\":\"deleted\"}", "invalid_json", "Invalid request: missing field 'path'"),
                change("{\"path\":\"a//b\",\"type\":\"deleted\"}", "invalid_path",
                        "Invalid path 'a//b': it has an empty component"),
                change("{\"path\":\"a\\u0000b\",\"type\":\"deleted\"}", "invalid_path",
                        "Invalid path 'a\\0b': it contains a NUL character"),
                change("{\"path\":\"\",\"type\":\"deleted\"}", "invalid_change",
                        "The volume root is always a directory: it cannot be deleted"),
                change("{\"path\":\"a\",\"seq\":1,\"type\":\"deleted\"}", "invalid_json",
                        "Invalid request: change: unknown field 'seq'"),
                version("{\"path\":\"a\",\"type\":\"deleted\"}", "invalid_json", "Invalid request: missing field 'seq'"),
                version("{\"path\":\"a\",\"seq\":-1,\"type\":\"deleted\"}", "invalid_entry",
                        "A commit sequence is non-negative, got -1"),
                proposal("{\"format\":2,\"baseSeq\":0,\"idempotencyKey\":\"k\",\"changes\":[],\"newField\":true}", "invalid_json",
                        "Invalid request: commit: format 2 is not supported (this service speaks format 1)"),
                proposal("{\"format\":4294967297,\"baseSeq\":0,\"idempotencyKey\":\"k\",\"changes\":[]}", "invalid_json",
                        "Invalid request: commit: format 4294967297 is not supported (this service speaks format 1)"),
                proposal("{\"baseSeq\":0,\"idempotencyKey\":\"k\",\"changes\":[]}", "invalid_json",
                        "Invalid request: missing field 'format'"),
                proposal(PROPOSAL_HEAD + "\"changes\":[],\"extra\":1}", "invalid_json",
                        "Invalid request: commit: unknown field 'extra'"),
                proposal(PROPOSAL_HEAD + "\"changes\":{}}", "invalid_json", "Invalid request: 'changes' must be an array"),
                proposal(PROPOSAL_HEAD + "\"changes\":[7]}", "invalid_json", "Invalid request: change must be a JSON object"),
                proposal("{\"format\":1,\"baseSeq\":0,\"idempotencyKey\":\"k\",\"mountId\":7,\"changes\":[]}", "invalid_json",
                        "Invalid request: 'mountId' must be a string"),
                proposal(PROPOSAL_HEAD + "\"changes\":[{\"path\":\"a\",\"type\":\"deleted\"},{\"path\":\"a\",\"type\":\"deleted\"}]}",
                        "invalid_commit", "Invalid commit: path 'a' appears twice"),
                proposal("{\"format\":1,\"baseSeq\":-3,\"idempotencyKey\":\"k\",\"changes\":[]}", "invalid_commit",
                        "Invalid commit: base sequence -3 is negative"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("rejected")
    void rejects(String what, String json, String code, String message) {
        Function<JsonNode, ?> decoder = switch (what) {
            case "entry" -> WireCodec::entry;
            case "change" -> WireCodec::change;
            case "version" -> WireCodec::versioned;
            case "proposal" -> WireCodec::proposal;
            default -> throw new IllegalArgumentException(what);
        };
        assertThatThrownBy(() -> decoder.apply(WireCodec.parse(json.getBytes(StandardCharsets.UTF_8))))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo(code))
                .hasMessage(message);
    }

    @Test
    void malformedJsonIsOneLineNamingTheProblem() {
        assertMalformed("{\"type\":", "Malformed JSON: Unexpected end-of-input");
        assertMalformed("{type:\"dir\"}", "Malformed JSON: Unexpected character ('t' (code 116))");
        assertMalformed("{\"type\":\"dir\"} {}", "Malformed JSON: Trailing token (of type START_OBJECT) found after value");
        assertMalformed("{\"type\":\"deleted\",\"type\":\"dir\"}", "Malformed JSON: Duplicate field 'type'");
    }

    @Test
    void invalidUtf8IsMalformedJson() {
        byte[] json = {'{', '"', 't', '"', ':', '"', (byte) 0xff, '"', '}'};
        assertThatThrownBy(() -> WireCodec.parse(json))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_json"))
                .hasMessageStartingWith("Malformed JSON: Invalid UTF-8 start byte 0xff");
    }

    @Test
    void tooDeepNestingIsRejected() {
        String deep = "[".repeat(100) + "]".repeat(100);
        assertThatThrownBy(() -> WireCodec.parse(deep.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_json"))
                .hasMessageStartingWith("Malformed JSON: Document nesting depth (65) exceeds the maximum allowed (64");
    }

    private static void assertMalformed(String json, String prefix) {
        assertThatThrownBy(() -> WireCodec.parse(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(ManifestException.class, e -> {
                    assertThat(e.code()).isEqualTo("invalid_json");
                    assertThat(e.getMessage()).doesNotContain("\n");
                })
                .hasMessageStartingWith(prefix);
    }
}
