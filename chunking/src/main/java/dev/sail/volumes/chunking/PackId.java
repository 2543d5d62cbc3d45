package dev.sail.volumes.chunking;

import java.util.Objects;

/**
 * The name of a pack: one stored object holding several small chunks back to back, named by the
 * SHA-256 of its bytes (so storage can check an upload against its name, as it does for a chunk).
 * Immutable and thread-safe; equal by content; {@link #toString()} is the lower-case hex form.
 *
 * @param hash the SHA-256 of the pack's bytes
 */
public record PackId(ChunkId hash) implements Comparable<PackId> {
    public PackId {
        Objects.requireNonNull(hash, "hash");
    }

    /** The pack whose bytes are {@code bytes}. */
    public static PackId of(byte[] bytes) {
        return new PackId(ChunkHasher.hash(bytes));
    }

    /** Parses the 64-character lower-case hex form. */
    public static PackId ofHex(String hex) {
        try {
            return new PackId(ChunkId.ofHex(hex));
        } catch (ChunkingException e) {
            throw new ChunkingException(e.getMessage().replace("chunk id", "pack id"));
        }
    }

    /** The first hex characters, for messages. */
    public String abbreviated() {
        return hash.abbreviated();
    }

    @Override
    public int compareTo(PackId other) {
        return hash.compareTo(other.hash);
    }

    @Override
    public String toString() {
        return hash.toString();
    }
}
