package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.testkit.S3ServerFixture;
import dev.sail.volumes.testkit.ServiceFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every acceptance test stands on: the real service on a real in-process S3 server (one per test
 * class), guests ({@link Sailbox}) that mount through {@code bin/sail-volume}, and the two independent
 * meters, the S3 server's counters and the service's {@code /metrics}. Each test's sailboxes are closed
 * after it, pass or fail, and the class checks that no mount of its own survived.
 */
abstract class AcceptanceBase {
    /** The service refuses request bodies above this, so no chunk (8 MiB) could ever travel through it. */
    static final long SERVICE_MAX_BODY = 1 << 20;
    static final int MIB = 1 << 20;
    static final int CHUNK = 8 * MIB;

    static ServiceFixture service;
    private static final AtomicInteger VOLUMES = new AtomicInteger();
    /** Guests mounted once for a whole class ({@link #shared}), by name. */
    private static final Map<String, Sailbox> SHARED = new LinkedHashMap<>();

    @TempDir
    static Path classTemp;

    @TempDir
    Path temp;

    private final List<Sailbox> sailboxes = new ArrayList<>();

    @BeforeAll
    static void startService() {
        service = ServiceFixture.builder().maxBodyBytes(SERVICE_MAX_BODY).start();
    }

    @AfterAll
    static void stopService() {
        try {
            List<Sailbox> open = new ArrayList<>(SHARED.values());
            SHARED.clear();
            open.forEach(Sailbox::close);
            for (Sailbox sailbox : open) {
                assertThat(sailbox.isMounted()).as("%s unmounted after the class", sailbox.mountpoint()).isFalse();
                assertThat(sailbox.liveDaemons()).as("daemons left running").isEmpty();
            }
        } finally {
            if (service != null) {
                service.close();
            }
        }
    }

    @AfterEach
    void closeSailboxes() {
        for (Sailbox sailbox : SHARED.values()) {
            if (sailbox.answers()) {
                // The next test starts at the head with nothing uncommitted, whatever this one left.
                sailbox.volume().reload();
            }
        }
        List<Sailbox> open = new ArrayList<>(sailboxes);
        sailboxes.clear();
        RuntimeException failure = null;
        for (Sailbox sailbox : open) {
            try {
                sailbox.close();
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        for (Sailbox sailbox : open) {
            assertThat(sailbox.isMounted()).as("%s unmounted after the test", sailbox.mountpoint()).isFalse();
            assertThat(sailbox.liveDaemons()).as("daemons left running").isEmpty();
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** A new guest of org {@code default}, not mounted yet. */
    Sailbox sailbox(String name) {
        return sailbox(name, service.apiKey());
    }

    /** A new guest acting with {@code apiKey}, not mounted yet. */
    Sailbox sailbox(String name, String apiKey) {
        Sailbox sailbox = new Sailbox(temp, name, service.baseUrl().toString(), apiKey);
        sailboxes.add(sailbox);
        return sailbox;
    }

    /** A guest with {@code volume} mounted (quickly: a foreground daemon as its child). */
    Sailbox mounted(String name, String volume, String... options) {
        Sailbox sailbox = sailbox(name);
        sailbox.mountForeground(volume, options);
        return sailbox;
    }

    /**
     * A guest with {@code volume} mounted once for the whole test class (a daemon start saved per test).
     * Tests that share it work under their own paths; after each test it is reloaded to the volume's head,
     * discarding what the test left uncommitted. Closed after the class.
     */
    static Sailbox shared(String name, String volume) {
        Sailbox sailbox = SHARED.get(name);
        if (sailbox != null && sailbox.answers()) {
            return sailbox;
        }
        if (sailbox != null) {
            sailbox.close();
        }
        sailbox = new Sailbox(classTemp, name + "-" + VOLUMES.incrementAndGet(), service.baseUrl().toString(), service.apiKey());
        SHARED.put(name, sailbox);
        sailbox.mountForeground(volume);
        return sailbox;
    }

    /** A volume name no other test uses. */
    static String uniqueVolume(String prefix) {
        return prefix + "-" + VOLUMES.incrementAndGet();
    }

    static S3ServerFixture s3() {
        return service.s3();
    }

    static ServiceMetrics metrics() {
        return ServiceMetrics.scrape(service.baseUrl());
    }

    /** Deterministic pseudo-random bytes. */
    static byte[] bytes(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    static void write(Path file, byte[] data) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, data);
    }
}
