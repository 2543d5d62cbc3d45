package dev.sail.volumes.fuse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What every {@link LocalStore} must do; each implementation's test extends this. */
public abstract class LocalStoreContract {
    @TempDir
    protected Path temp;

    /** A store over {@code dir}; opening the same dir again must show what was written. */
    protected abstract LocalStore open(Path dir);

    /** Whether a reopened store sees earlier writes (false for stores that keep nothing). */
    protected abstract boolean durable();

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void writesApplyPutsAndDeletesTogetherAndLoadSorted() {
        try (LocalStore store = open(temp.resolve("db"))) {
            store.write(Map.of("o/b", bytes("2"), "o/a", bytes("1"), "meta/x", bytes("x")), List.of());
            store.write(Map.of("o/c", bytes("3")), List.of("o/a", "missing"));

            var all = store.loadAll();
            assertThat(all.keySet()).containsExactly("meta/x", "o/b", "o/c");
            assertThat(new String(all.get("o/c"), StandardCharsets.UTF_8)).isEqualTo("3");
        }
    }

    @Test
    void syncKeepsEveryWriteAndAClosedStoreRefusesIt() {
        LocalStore store = open(temp.resolve("db"));
        store.write(Map.of("o/a", bytes("1")), List.of());
        store.sync();
        store.write(Map.of("o/b", bytes("2")), List.of("o/a"));
        store.sync();
        assertThat(store.loadAll().keySet()).containsExactly("o/b");
        store.close();
        if (durable()) {
            assertThatThrownBy(store::sync).hasMessageContaining("is closed");
            try (LocalStore again = open(temp.resolve("db"))) {
                assertThat(again.loadAll().keySet()).containsExactly("o/b");
            }
        }
    }

    @Test
    void closingTwiceIsFineAndAReopenedStoreKeepsWhatWasWritten() {
        LocalStore store = open(temp.resolve("db"));
        store.write(Map.of("o/a", bytes("1")), List.of());
        store.close();
        store.close();
        try (LocalStore again = open(temp.resolve("db"))) {
            assertThat(again.loadAll().containsKey("o/a")).isEqualTo(durable());
        }
    }
}
