package dev.sail.volumes.service.store;

import java.util.Objects;

/**
 * The first answer to a commit with a given idempotency key, and a hash of the request it answered, so
 * that a retry of the same request replays it and a different request under the same key is refused.
 *
 * @param requestHash hex SHA-256 of the canonical proposal
 */
public record IdempotencyRecord(String requestHash, CommitOutcome outcome) {
    public IdempotencyRecord {
        Objects.requireNonNull(requestHash, "requestHash");
        Objects.requireNonNull(outcome, "outcome");
    }
}
