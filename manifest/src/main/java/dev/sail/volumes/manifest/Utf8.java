package dev.sail.volumes.manifest;

/** UTF-8 lengths without encoding: the byte limits on paths and symlink targets are counted here. */
final class Utf8 {
    private Utf8() {
    }

    /** The UTF-8 length of {@code s}, or -1 if it holds an unpaired surrogate (which has no UTF-8 form). */
    static int length(String s) {
        int bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                return -1;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}
