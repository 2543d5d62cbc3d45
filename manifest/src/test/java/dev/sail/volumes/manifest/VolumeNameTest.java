package dev.sail.volumes.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VolumeNameTest {
    private static final String RULE = "': use 1-63 lower-case letters, digits, '-', '_' or '.', "
            + "starting and ending with a letter or digit";

    @ParameterizedTest(name = "accepts \"{0}\"")
    @ValueSource(strings = {"a", "0", "shared-data", "a.b_c-d", "x1", "a--b"})
    void accepts(String value) {
        assertThat(VolumeName.of(value)).hasToString(value);
    }

    @Test
    void acceptsSixtyThreeCharacters() {
        String name = "a".repeat(63);
        assertThat(VolumeName.of(name).value()).isEqualTo(name);
    }

    @ParameterizedTest(name = "rejects \"{0}\"")
    @ValueSource(strings = {"A", "Shared", "-a", "a-", "_a", "a.", ".a", "a b", "a/b", "é", "a\0"})
    void rejectsCharacters(String value) {
        assertThatThrownBy(() -> VolumeName.of(value))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_name"))
                .hasMessage("Invalid volume name '" + value + RULE);
    }

    @Test
    void rejectsEmptyNullAndTooLong() {
        assertThatThrownBy(() -> VolumeName.of(""))
                .isInstanceOf(ManifestException.class).hasMessage("Invalid volume name: a name is required");
        assertThatThrownBy(() -> VolumeName.of(null))
                .isInstanceOf(ManifestException.class).hasMessage("Invalid volume name: a name is required");
        assertThatThrownBy(() -> VolumeName.of("a".repeat(64)))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_name"))
                .hasMessage("Invalid volume name '" + "a".repeat(20) + "...': 64 characters, over the limit of 63");
    }
}
