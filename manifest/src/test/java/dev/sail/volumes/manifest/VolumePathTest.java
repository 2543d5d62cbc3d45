package dev.sail.volumes.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class VolumePathTest {

    @ParameterizedTest(name = "accepts \"{0}\"")
    @ValueSource(strings = {"a", "a/b/c", "notebooks/a.ipynb", ".hidden", "..x", "x..", "a b", "a\\b", "a:b",
            "日本語/ファイル", "emoji 😀", "a/.../b"})
    void accepts(String value) {
        assertThat(VolumePath.of(value).value()).isEqualTo(value);
    }

    @Test
    void acceptsTheLimits() {
        String name = "n".repeat(VolumePath.MAX_NAME_BYTES);
        assertThat(VolumePath.of(name).name()).isEqualTo(name);
        // 16 components of 254 bytes, 16 slashes and a last component of 16 bytes: exactly 4096 bytes.
        String longest = String.join("/", Collections.nCopies(16, "n".repeat(254))) + "/" + "x".repeat(16);
        assertThat(longest.getBytes(StandardCharsets.UTF_8)).hasSize(VolumePath.MAX_PATH_BYTES);
        assertThat(VolumePath.of(longest).value()).isEqualTo(longest);
        assertThatThrownBy(() -> VolumePath.of(longest + "x"))
                .hasMessageEndingWith("it is 4097 bytes long, over the limit of 4096");
        // Characters count by their UTF-8 bytes: 85 three-byte characters are 255 bytes.
        assertThat(VolumePath.of("語".repeat(85)).name()).hasSize(85);
        assertThatThrownBy(() -> VolumePath.of("語".repeat(86)))
                .hasMessageEndingWith("a component is 258 bytes long, over the limit of 255");
    }

    static Stream<Arguments> rejected() {
        String name256 = "n".repeat(256);
        String path4097 = String.join("/", Collections.nCopies(16, "n".repeat(255))) + "/x";
        return Stream.of(
                Arguments.of("/a", "Invalid path '/a': it is absolute (starts with '/')"),
                Arguments.of("/", "Invalid path '/': it is absolute (starts with '/')"),
                Arguments.of("a/", "Invalid path 'a/': it has an empty component"),
                Arguments.of("a//b", "Invalid path 'a//b': it has an empty component"),
                Arguments.of(".", "Invalid path '.': it has a '.' component"),
                Arguments.of("a/./b", "Invalid path 'a/./b': it has a '.' component"),
                Arguments.of("..", "Invalid path '..': it has a '..' component"),
                Arguments.of("a/../b", "Invalid path 'a/../b': it has a '..' component"),
                Arguments.of("a\0b", "Invalid path 'a\\0b': it contains a NUL character"),
                Arguments.of(name256, "Invalid path '" + name256.substring(0, 97)
                        + "...': a component is 256 bytes long, over the limit of 255"),
                Arguments.of("é".repeat(128), "Invalid path '" + "é".repeat(97)
                        + "...': a component is 256 bytes long, over the limit of 255"),
                Arguments.of(path4097, "Invalid path '" + path4097.substring(0, 97)
                        + "...': it is 4097 bytes long, over the limit of 4096"),
                Arguments.of("a\uD800b", "Invalid path 'a\uD800b': it is not valid Unicode (an unpaired surrogate has no UTF-8 form)"),
                Arguments.of("a\uDC00", "Invalid path 'a\uDC00': it is not valid Unicode (an unpaired surrogate has no UTF-8 form)"));
    }

    @ParameterizedTest(name = "rejects \"{0}\"")
    @MethodSource("rejected")
    void rejects(String value, String message) {
        assertThatThrownBy(() -> VolumePath.of(value))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_path"))
                .hasMessage(message);
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> VolumePath.of(null))
                .isInstanceOf(ManifestException.class)
                .hasMessage("Invalid path 'null': a path is required");
    }

    @Test
    void ofUtf8DecodesAndRejectsMalformedBytes() {
        assertThat(VolumePath.ofUtf8("a/日本".getBytes(StandardCharsets.UTF_8))).isEqualTo(VolumePath.of("a/日本"));
        byte[][] malformed = {
                {'a', (byte) 0xff},                      // never valid in UTF-8
                {'a', (byte) 0xc3},                      // truncated two-byte sequence
                {(byte) 0xc0, (byte) 0xaf},              // overlong '/'
                {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, // an encoded surrogate (CESU-8)
        };
        for (byte[] bytes : malformed) {
            assertThatThrownBy(() -> VolumePath.ofUtf8(bytes))
                    .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_path"))
                    .hasMessage("Invalid path: not valid UTF-8 (" + bytes.length + " bytes)");
        }
        assertThatThrownBy(() -> VolumePath.ofUtf8("a//b".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("Invalid path 'a//b': it has an empty component");
    }

    @Test
    void ofMountPath() {
        assertThat(VolumePath.ofMountPath("/")).isEqualTo(VolumePath.ROOT);
        assertThat(VolumePath.ofMountPath("/a/b")).isEqualTo(VolumePath.of("a/b"));
        assertThat(VolumePath.of("a/b").mountPath()).isEqualTo("/a/b");
        assertThat(VolumePath.ROOT.mountPath()).isEqualTo("/");
        assertThatThrownBy(() -> VolumePath.ofMountPath("a"))
                .hasMessage("Invalid path 'a': a mount path starts with '/'");
        assertThatThrownBy(() -> VolumePath.ofMountPath("//a"))
                .hasMessage("Invalid path '/a': it is absolute (starts with '/')");
    }

    @Test
    void orderKeepsASubtreeContiguous() {
        List<VolumePath> paths = new ArrayList<>(Stream.of("a-b", "a/b", "a", "a/b/c", "a.b", "a/c", "b", "a0", "")
                .map(VolumePath::of).toList());
        Collections.sort(paths);
        assertThat(paths).extracting(VolumePath::value)
                .containsExactly("", "a", "a/b", "a/b/c", "a/c", "a-b", "a.b", "a0", "b");
        assertThat(VolumePath.of("a")).isLessThan(VolumePath.of("a/b"));
        assertThat(VolumePath.of("a/b")).isLessThan(VolumePath.of("a-b"));
    }

    @Test
    void orderIsByCodePointLikeUtf8Bytes() {
        VolumePath privateUse = VolumePath.of("\uE000");
        VolumePath emoji = VolumePath.of("😀");
        assertThat(privateUse).isLessThan(emoji);
        assertThat(new String(privateUse.value().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1))
                .isLessThan(new String(emoji.value().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
        assertThat(VolumePath.of("z")).isLessThan(privateUse);
        assertThat(VolumePath.of("a")).isEqualByComparingTo(VolumePath.of("a"));
    }

    @Test
    void parentsAncestorsAndChildren() {
        VolumePath abc = VolumePath.of("a/b/c");
        assertThat(abc.name()).isEqualTo("c");
        assertThat(abc.parent()).contains(VolumePath.of("a/b"));
        assertThat(VolumePath.of("a").parent()).contains(VolumePath.ROOT);
        assertThat(VolumePath.ROOT.parent()).isEqualTo(Optional.empty());
        assertThat(abc.loadParent()).isEqualTo(VolumePath.of("a/b"));
        assertThatThrownBy(VolumePath.ROOT::loadParent)
                .isInstanceOf(ManifestException.class).hasMessage("The volume root has no parent");
        assertThat(abc.ancestors()).containsExactly(VolumePath.of("a"), VolumePath.of("a/b"));
        assertThat(VolumePath.of("a").ancestors()).isEmpty();
        assertThat(VolumePath.ROOT.ancestors()).isEmpty();
        assertThat(VolumePath.ROOT.child("a")).isEqualTo(VolumePath.of("a"));
        assertThat(VolumePath.of("a").child("b")).isEqualTo(VolumePath.of("a/b"));
        assertThat(VolumePath.ROOT.name()).isEmpty();
        assertThat(VolumePath.ROOT.isRoot()).isTrue();
        assertThat(VolumePath.ROOT).hasToString("/");
        assertThat(abc).hasToString("a/b/c");
    }

    @Test
    void childTakesOneComponent() {
        assertThatThrownBy(() -> VolumePath.of("a").child("b/c"))
                .isInstanceOf(ManifestException.class)
                .hasMessage("Invalid path 'b/c': a child name is one non-empty component without '/'");
        assertThatThrownBy(() -> VolumePath.of("a").child(""))
                .hasMessage("Invalid path '': a child name is one non-empty component without '/'");
        assertThatThrownBy(() -> VolumePath.of("a").child(".."))
                .hasMessage("Invalid path 'a/..': it has a '..' component");
    }

    @Test
    void isAncestorOf() {
        VolumePath a = VolumePath.of("a");
        assertThat(a.isAncestorOf(VolumePath.of("a/b"))).isTrue();
        assertThat(a.isAncestorOf(VolumePath.of("a/b/c"))).isTrue();
        assertThat(a.isAncestorOf(a)).isFalse();
        assertThat(a.isAncestorOf(VolumePath.of("ab"))).isFalse();
        assertThat(a.isAncestorOf(VolumePath.of("a-b/c"))).isFalse();
        assertThat(a.isAncestorOf(VolumePath.ROOT)).isFalse();
        assertThat(VolumePath.of("a/b").isAncestorOf(a)).isFalse();
        assertThat(VolumePath.ROOT.isAncestorOf(a)).isTrue();
        assertThat(VolumePath.ROOT.isAncestorOf(VolumePath.ROOT)).isFalse();
    }
}
