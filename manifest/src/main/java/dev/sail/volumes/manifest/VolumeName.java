package dev.sail.volumes.manifest;

import java.util.regex.Pattern;

/**
 * The name of a volume within its org, such as {@code shared-data}. The rules live here alone:
 * 1 to 63 characters of lower-case ASCII letters, digits, {@code -}, {@code _} and {@code .},
 * starting and ending with a letter or digit (so a name is safe in a URL, a file name and an S3 key).
 */
public record VolumeName(String value) {
    public static final int MAX_LENGTH = 63;
    private static final Pattern RULE = Pattern.compile("[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?");

    public VolumeName {
        if (value == null || value.isEmpty()) {
            throw new ManifestException("invalid_name", "Invalid volume name: a name is required");
        }
        if (value.length() > MAX_LENGTH) {
            throw new ManifestException("invalid_name", "Invalid volume name '" + value.substring(0, 20)
                    + "...': " + value.length() + " characters, over the limit of " + MAX_LENGTH);
        }
        if (!RULE.matcher(value).matches()) {
            throw new ManifestException("invalid_name", "Invalid volume name '" + value
                    + "': use 1-63 lower-case letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
        }
    }

    public static VolumeName of(String value) {
        return new VolumeName(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
