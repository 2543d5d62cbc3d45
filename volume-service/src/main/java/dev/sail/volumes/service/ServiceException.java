package dev.sail.volumes.service;

import java.util.Objects;

/**
 * The one unchecked exception of the service. It carries what the HTTP API answers: a status, a
 * stable {@link #code()} and a one-line message naming the thing and the reason.
 */
public class ServiceException extends RuntimeException {
    private final int status;
    private final String code;

    public ServiceException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = Objects.requireNonNull(code, "code");
    }

    public ServiceException(int status, String code, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = Objects.requireNonNull(code, "code");
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public static ServiceException notFound(String message) {
        return new ServiceException(404, "not_found", message);
    }

    public static ServiceException invalidRequest(String message) {
        return new ServiceException(400, "invalid_request", message);
    }

    public static ServiceException internal(String message, Throwable cause) {
        return new ServiceException(500, "internal", message, cause);
    }
}
