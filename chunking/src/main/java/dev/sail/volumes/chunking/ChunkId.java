package dev.sail.volumes.chunking;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The name of a chunk: the SHA-256 of its bytes. Immutable and thread-safe; equal by content;
 * {@link #toString()} is the lower-case hex form, which is also the wire and storage form.
 */
public final class ChunkId implements Comparable<ChunkId> {
    /** Length of a SHA-256 digest in bytes. */
    public static final int BYTES = 32;

    private static final HexFormat HEX = HexFormat.of();

    private final byte[] digest;

    private ChunkId(byte[] digest) {
        this.digest = digest;
    }

    /** Wraps a 32-byte SHA-256 digest (copied). */
    public static ChunkId ofDigest(byte[] digest) {
        if (digest == null || digest.length != BYTES) {
            throw new ChunkingException("A chunk id is a 32-byte SHA-256 digest, got "
                    + (digest == null ? "null" : digest.length + " bytes"));
        }
        return new ChunkId(digest.clone());
    }

    /** Parses the 64-character lower-case hex form. */
    public static ChunkId ofHex(String hex) {
        if (hex == null || hex.length() != BYTES * 2) {
            throw new ChunkingException("A chunk id is 64 hex characters, got '" + abbreviate(hex) + "'");
        }
        for (int i = 0; i < hex.length(); i++) {
            char c = hex.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                throw new ChunkingException("A chunk id is lower-case hex, got '" + abbreviate(hex) + "'");
            }
        }
        return new ChunkId(HEX.parseHex(hex));
    }

    /** True when {@code hex} is a well-formed chunk id. */
    public static boolean isValidHex(String hex) {
        try {
            ofHex(hex);
            return true;
        } catch (ChunkingException e) {
            return false;
        }
    }

    /** The digest bytes (a copy). */
    public byte[] digest() {
        return digest.clone();
    }

    /** The digest as standard Base64, the form S3 uses for {@code x-amz-checksum-sha256}. */
    public String base64() {
        return java.util.Base64.getEncoder().encodeToString(digest);
    }

    /** A short prefix for logs and messages. */
    public String abbreviated() {
        return HEX.formatHex(digest, 0, 6);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkId other && Arrays.equals(digest, other.digest);
    }

    @Override
    public int hashCode() {
        // The digest is uniformly distributed: its first bytes are a fine hash.
        return (digest[0] & 0xff) << 24 | (digest[1] & 0xff) << 16 | (digest[2] & 0xff) << 8 | (digest[3] & 0xff);
    }

    @Override
    public int compareTo(ChunkId o) {
        return Arrays.compareUnsigned(digest, o.digest);
    }

    @Override
    public String toString() {
        return HEX.formatHex(digest);
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "null";
        }
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
