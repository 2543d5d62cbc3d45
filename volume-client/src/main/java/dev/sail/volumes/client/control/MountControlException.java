package dev.sail.volumes.client.control;

/**
 * A mount's daemon refused a request, or could not be reached: {@link #code()} is a stable code
 * ({@code not_mounted}, {@code unavailable}, {@code commit_failed}, {@code reload_failed},
 * {@code invalid_request}, {@code not_found}, {@code internal}), the message one line naming the problem.
 */
public class MountControlException extends RuntimeException {
    private final String code;

    public MountControlException(String code, String message) {
        super(message);
        this.code = code;
    }

    public MountControlException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
