package dev.sail.volumes.chunking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ChunkIdTest {
    /** SHA-256 of "abc" (FIPS 180-2 test vector). */
    private static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    /** SHA-256 of the empty string. */
    private static final String EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @Test
    void hashesKnownVectors() {
        assertThat(ChunkHasher.hash("abc".getBytes(StandardCharsets.US_ASCII))).hasToString(ABC);
        assertThat(ChunkHasher.hash(new byte[0])).hasToString(EMPTY);
    }

    @Test
    void hexRoundTrip() {
        ChunkId id = ChunkId.ofHex(ABC);
        assertThat(id.toString()).isEqualTo(ABC);
        assertThat(ChunkId.ofHex(id.toString())).isEqualTo(id);
        assertThat(id.digest()).isEqualTo(HexFormat.of().parseHex(ABC));
        assertThat(id.base64()).isEqualTo(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(ABC)));
        assertThat(id.abbreviated()).isEqualTo("ba7816bf8f01");
        assertThat(ChunkId.isValidHex(ABC)).isTrue();
    }

    @Test
    void digestIsCopiedInAndOut() {
        byte[] digest = HexFormat.of().parseHex(ABC);
        ChunkId id = ChunkId.ofDigest(digest);
        digest[0] = 0;
        id.digest()[1] = 0;
        assertThat(id).hasToString(ABC);
    }

    @Test
    void wrongLengthHexIsRejected() {
        assertThatThrownBy(() -> ChunkId.ofHex("abc"))
                .isInstanceOf(ChunkingException.class)
                .hasMessage("A chunk id is 64 hex characters, got 'abc'");
        assertThatThrownBy(() -> ChunkId.ofHex(null))
                .isInstanceOf(ChunkingException.class)
                .hasMessage("A chunk id is 64 hex characters, got 'null'");
        assertThatThrownBy(() -> ChunkId.ofHex(ABC + "00"))
                .isInstanceOf(ChunkingException.class)
                .hasMessage("A chunk id is 64 hex characters, got '" + ABC + "00'");
        assertThatThrownBy(() -> ChunkId.ofHex("a".repeat(100)))
                .isInstanceOf(ChunkingException.class)
                .hasMessage("A chunk id is 64 hex characters, got '" + "a".repeat(77) + "...'");
    }

    @Test
    void upperCaseAndNonHexAreRejected() {
        String upper = ABC.toUpperCase();
        assertThatThrownBy(() -> ChunkId.ofHex(upper))
                .isInstanceOf(ChunkingException.class)
                .hasMessage("A chunk id is lower-case hex, got '" + upper + "'");
        String nonHex = "g" + ABC.substring(1);
        assertThatThrownBy(() -> ChunkId.ofHex(nonHex))
                .isInstanceOf(ChunkingException.class)
                .hasMessage("A chunk id is lower-case hex, got '" + nonHex + "'");
        assertThat(ChunkId.isValidHex(upper)).isFalse();
        assertThat(ChunkId.isValidHex(null)).isFalse();
    }

    @Test
    void wrongLengthDigestIsRejected() {
        assertThatThrownBy(() -> ChunkId.ofDigest(new byte[31]))
                .isInstanceOf(ChunkingException.class)
                .hasMessage("A chunk id is a 32-byte SHA-256 digest, got 31 bytes");
        assertThatThrownBy(() -> ChunkId.ofDigest(null))
                .isInstanceOf(ChunkingException.class)
                .hasMessage("A chunk id is a 32-byte SHA-256 digest, got null");
    }

    @Test
    void equalsHashCodeAndCompare() {
        ChunkId a = ChunkId.ofHex(ABC);
        ChunkId sameAsA = ChunkId.ofDigest(HexFormat.of().parseHex(ABC));
        ChunkId b = ChunkId.ofHex(EMPTY);
        assertThat(a).isEqualTo(sameAsA).hasSameHashCodeAs(sameAsA).isNotEqualTo(b).isNotEqualTo(ABC);
        assertThat(a.compareTo(sameAsA)).isZero();
        // 0xba < 0xe3 when compared unsigned; signed bytes would order them the other way.
        assertThat(a.compareTo(b)).isNegative();
        assertThat(b.compareTo(a)).isPositive();
        ChunkId low = ChunkId.ofHex("7f" + "0".repeat(62));
        ChunkId high = ChunkId.ofHex("80" + "0".repeat(62));
        assertThat(low).isLessThan(high);
    }
}
