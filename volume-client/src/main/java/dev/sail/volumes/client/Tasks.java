package dev.sail.volumes.client;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for a batch of IO tasks. Stateless. */
public final class Tasks {
    private Tasks() {
    }

    /**
     * Waits for every task, even after one fails, so that none is still running when this returns;
     * then throws the first failure, with the others suppressed in it.
     *
     * @param what what the tasks do, for the message when the wait is interrupted ("uploading chunks")
     */
    public static void awaitAll(List<? extends Future<?>> tasks, String what) throws IOException {
        IOException failure = null;
        try {
            for (Future<?> task : tasks) {
                try {
                    task.get();
                } catch (ExecutionException e) {
                    IOException cause = e.getCause() instanceof IOException io ? io
                            : new IOException("Failed " + what + ": " + e.getCause(), e.getCause());
                    if (failure == null) {
                        failure = cause;
                    } else {
                        failure.addSuppressed(cause);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while " + what, e);
        }
        if (failure != null) {
            throw failure;
        }
    }
}
