package dev.sail.volumes.service;

import dev.sail.volumes.service.store.Caller;
import dev.sail.volumes.service.store.ManifestStore;
import dev.sail.volumes.service.store.Org;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.Optional;

/**
 * API keys: {@code sk_} and 32 random bytes (base64url). The store keeps only their SHA-256, and
 * nothing logs them. Thread-safe.
 */
public final class ApiKeys {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ManifestStore store;
    private final Clock clock;

    public ApiKeys(ManifestStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Creates an org and answers its first API key. */
    public String createOrg(String name) {
        Org org = store.createOrg(name, clock.instant());
        return issue(new Caller.Member(org));
    }

    /** A new key for {@code caller}. */
    public String issue(Caller caller) {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String key = "sk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        store.putApiKey(hash(key), caller);
        return key;
    }

    /** Who the key belongs to, or empty for an unknown key. */
    public Optional<Caller> resolve(String key) {
        if (key == null || key.isEmpty() || key.length() > 200) {
            return Optional.empty();
        }
        return store.findCaller(hash(key));
    }

    private static String hash(String key) {
        return VolumeOperations.sha256Hex(key.getBytes(StandardCharsets.UTF_8));
    }
}
