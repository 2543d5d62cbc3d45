package dev.sail.volumes.manifest;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A normalized POSIX path relative to a volume's root, such as {@code notebooks/a.ipynb}; the root
 * itself is the empty path. Immutable; equal by value.
 *
 * <p>Rules, checked once here: no empty component (so no leading, trailing or doubled {@code /}),
 * no {@code .} or {@code ..}, no NUL, each component at most {@value #MAX_NAME_BYTES} bytes and the
 * whole path at most {@value #MAX_PATH_BYTES} bytes of UTF-8, and the text must be valid Unicode
 * (no unpaired surrogates), so that it has a UTF-8 form.
 *
 * <p>The natural order sorts by components, so a directory sorts directly before its contents.
 */
public record VolumePath(String value) implements Comparable<VolumePath> {
    public static final int MAX_NAME_BYTES = 255;
    public static final int MAX_PATH_BYTES = 4096;

    /** The volume's root directory. */
    public static final VolumePath ROOT = new VolumePath("");

    /**
     * Orders paths component by component: {@code a} &lt; {@code a/b} &lt; {@code a-b}. Within a
     * component, characters compare by Unicode code point, which is also the order of their UTF-8
     * bytes (plain {@link String#compareTo} would put U+E000..U+FFFF after supplementary characters).
     */
    private static final Comparator<String> COMPONENT_ORDER = (a, b) -> {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char ca = a.charAt(i);
            char cb = b.charAt(i);
            if (ca != cb) {
                // '/' sorts before every other character so that a subtree stays contiguous.
                if (ca == '/') {
                    return -1;
                }
                if (cb == '/') {
                    return 1;
                }
                return Integer.compare(codePointRank(ca), codePointRank(cb));
            }
        }
        return Integer.compare(a.length(), b.length());
    };

    public VolumePath {
        if (value == null) {
            throw invalid("null", "a path is required");
        }
        if (!value.isEmpty()) {
            check(value);
        }
    }

    /** Parses a relative path; the empty string is the root. */
    public static VolumePath of(String relative) {
        return new VolumePath(relative);
    }

    /** Parses a path as a mount presents it, {@code /} for the root and {@code /a/b} below it. */
    public static VolumePath ofMountPath(String absolute) {
        if (absolute == null || !absolute.startsWith("/")) {
            throw invalid(absolute, "a mount path starts with '/'");
        }
        return new VolumePath(absolute.equals("/") ? "" : absolute.substring(1));
    }

    /** Decodes a path from UTF-8 bytes, rejecting malformed UTF-8. */
    public static VolumePath ofUtf8(byte[] utf8) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = decoder.decode(ByteBuffer.wrap(utf8));
            return new VolumePath(chars.toString());
        } catch (CharacterCodingException e) {
            throw new ManifestException("invalid_path", "Invalid path: not valid UTF-8 (" + utf8.length + " bytes)", e);
        }
    }

    public boolean isRoot() {
        return value.isEmpty();
    }

    /** The last component; the root has the empty name. */
    public String name() {
        return value.substring(value.lastIndexOf('/') + 1);
    }

    /** The parent directory, or empty for the root. */
    public Optional<VolumePath> parent() {
        if (isRoot()) {
            return Optional.empty();
        }
        int slash = value.lastIndexOf('/');
        return Optional.of(slash < 0 ? ROOT : new VolumePath(value.substring(0, slash)));
    }

    /** The parent directory; the root's parent is an error. */
    public VolumePath loadParent() {
        return parent().orElseThrow(() -> new ManifestException("invalid_path", "The volume root has no parent"));
    }

    /** The path of {@code name} inside this directory; {@code name} is one component (no {@code /}). */
    public VolumePath child(String name) {
        if (name == null || name.isEmpty() || name.indexOf('/') >= 0) {
            throw invalid(name, "a child name is one non-empty component without '/'");
        }
        return new VolumePath(isRoot() ? name : value + "/" + name);
    }

    /** Every proper ancestor below the root, outermost first: {@code a/b/c} gives {@code a}, {@code a/b}. */
    public List<VolumePath> ancestors() {
        List<VolumePath> result = new ArrayList<>();
        for (int i = value.indexOf('/'); i >= 0; i = value.indexOf('/', i + 1)) {
            result.add(new VolumePath(value.substring(0, i)));
        }
        return List.copyOf(result);
    }

    /** True when {@code other} lies strictly inside this directory. */
    public boolean isAncestorOf(VolumePath other) {
        if (isRoot()) {
            return !other.isRoot();
        }
        return other.value.length() > value.length()
                && other.value.startsWith(value)
                && other.value.charAt(value.length()) == '/';
    }

    /** The path as a mount presents it: {@code /} or {@code /a/b}. */
    public String mountPath() {
        return "/" + value;
    }

    @Override
    public int compareTo(VolumePath o) {
        return COMPONENT_ORDER.compare(value, o.value);
    }

    @Override
    public String toString() {
        return isRoot() ? "/" : value;
    }

    private static void check(String value) {
        if (value.indexOf('\0') >= 0) {
            throw invalid(value, "it contains a NUL character");
        }
        int bytes = utf8Length(value);
        if (bytes > MAX_PATH_BYTES) {
            throw invalid(value, "it is " + bytes + " bytes long, over the limit of " + MAX_PATH_BYTES);
        }
        int start = 0;
        while (true) {
            int slash = value.indexOf('/', start);
            String component = slash < 0 ? value.substring(start) : value.substring(start, slash);
            if (component.isEmpty()) {
                throw invalid(value, start == 0 && slash == 0 ? "it is absolute (starts with '/')" : "it has an empty component");
            }
            if (component.equals(".") || component.equals("..")) {
                throw invalid(value, "it has a '" + component + "' component");
            }
            int componentBytes = utf8Length(component);
            if (componentBytes > MAX_NAME_BYTES) {
                throw invalid(value, "a component is " + componentBytes + " bytes long, over the limit of " + MAX_NAME_BYTES);
            }
            if (slash < 0) {
                return;
            }
            start = slash + 1;
        }
    }

    /**
     * Ranks UTF-16 code units so that comparing ranks orders by code point: surrogates (the halves of
     * supplementary characters, U+10000 and up) move above U+E000..U+FFFF. Only the first differing
     * unit of two strings is ranked, and a valid path has no unpaired surrogate, so this is exact.
     */
    private static int codePointRank(char c) {
        if (c >= Character.MIN_SURROGATE) {
            return c >= 0xE000 ? c - 0x800 : c + 0x2000;
        }
        return c;
    }

    /** UTF-8 length of {@code s}; unpaired surrogates have no UTF-8 form and are rejected. */
    private static int utf8Length(String s) {
        int bytes = Utf8.length(s);
        if (bytes < 0) {
            throw invalid(s, "it is not valid Unicode (an unpaired surrogate has no UTF-8 form)");
        }
        return bytes;
    }

    private static ManifestException invalid(String value, String reason) {
        String shown = value == null ? "null" : value.length() > 100 ? value.substring(0, 97) + "..." : value;
        return new ManifestException("invalid_path", "Invalid path '" + shown.replace("\0", "\\0") + "': " + reason);
    }
}
