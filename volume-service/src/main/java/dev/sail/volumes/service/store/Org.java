package dev.sail.volumes.service.store;

import dev.sail.volumes.service.ServiceException;
import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An org: the unit of isolation and of chunk deduplication.
 *
 * @param id   a stable opaque id (16 hex characters), used in storage keys
 * @param name 1-63 lower-case letters, digits, '-', '_' or '.', starting and ending with a letter or digit
 */
public record Org(String id, String name, Instant createdAt) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?");

    public Org {
        Objects.requireNonNull(id, "id");
        checkName(name);
        Objects.requireNonNull(createdAt, "createdAt");
    }

    /** Throws {@code invalid_name} unless {@code name} is a valid org name. */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            String shown = name == null ? "null" : name.length() > 70 ? name.substring(0, 67) + "..." : name;
            throw new ServiceException(400, "invalid_name", "Invalid org name '" + shown
                    + "': use 1-63 lower-case letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
        }
        return name;
    }
}
