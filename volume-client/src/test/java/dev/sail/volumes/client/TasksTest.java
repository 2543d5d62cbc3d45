package dev.sail.volumes.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class TasksTest {
    @Test
    void theFirstFailureIsThrownWithTheOthersSuppressedAfterEveryTaskEnded() throws Exception {
        AtomicBoolean slowOneEnded = new AtomicBoolean();
        try (ExecutorService executor = Executors.newFixedThreadPool(3)) {
            List<Future<?>> tasks = List.of(
                    executor.submit(() -> {
                        throw new IOException("disk gone");
                    }),
                    executor.submit(() -> {
                        Thread.sleep(200);
                        slowOneEnded.set(true);
                        return null;
                    }),
                    executor.submit(() -> {
                        throw new IllegalStateException("bug");
                    }));

            assertThatThrownBy(() -> Tasks.awaitAll(tasks, "writing"))
                    .isInstanceOf(IOException.class)
                    .hasMessage("disk gone")
                    .satisfies(e -> assertThat(e.getSuppressed()).singleElement()
                            .satisfies(s -> assertThat(s).hasMessageContaining("Failed writing").hasCauseInstanceOf(IllegalStateException.class)));
            assertThat(slowOneEnded).as("the wait outlasts the failures").isTrue();
        }
    }

    @Test
    void tasksThatAllSucceedReturnQuietly() throws Exception {
        Tasks.awaitAll(List.of(CompletableFuture.completedFuture(1), CompletableFuture.completedFuture(2)), "nothing");
    }

    @Test
    void anInterruptedWaitSaysWhatItWasWaitingForAndKeepsTheInterrupt() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Tasks.awaitAll(List.of(new CompletableFuture<>()), "uploading chunks"))
                    .isInstanceOf(IOException.class).hasMessage("Interrupted while uploading chunks");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
