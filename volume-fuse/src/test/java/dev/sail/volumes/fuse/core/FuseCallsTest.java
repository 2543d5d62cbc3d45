package dev.sail.volumes.fuse.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.client.ServiceUnavailableException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class FuseCallsTest {
    final FuseCalls calls = new FuseCalls();

    @Test
    void everyOutcomeBecomesACountOrANegatedErrno() {
        assertThat(calls.run("read", () -> 42)).isEqualTo(42);
        assertThat(calls.runVoid("mkdir", () -> { })).isZero();
        assertThat(calls.runVoid("rmdir", () -> {
            throw new FsError(Errno.ENOTEMPTY, "Directory not empty: d");
        })).isEqualTo(-Errno.ENOTEMPTY);
        assertThat(calls.runVoid("write", () -> {
            throw new IOException("No space left on device");
        })).isEqualTo(-Errno.ENOSPC);
        assertThat(calls.runVoid("read", () -> {
            throw new IOException("NoSuchKey: chunk 0123");
        })).isEqualTo(-Errno.EIO);
        assertThat(calls.runVoid("readdir", () -> {
            throw new ServiceUnavailableException("connection refused", null);
        })).isEqualTo(-Errno.EIO);
        assertThat(calls.runVoid("getattr", () -> {
            throw new IllegalStateException("a bug");
        })).isEqualTo(-Errno.EIO);
        assertThat(calls.runVoid("getattr", () -> {
            throw new StackOverflowError();
        })).isEqualTo(-Errno.EIO);
    }

    @Test
    void countsCallsAndFailuresPerOperation() {
        calls.run("read", () -> 1);
        calls.run("read", () -> -Errno.EIO);
        calls.runVoid("read", () -> {
            throw new FsError(Errno.EBADF, "bad handle");
        });

        FuseCalls.OpStats read = calls.stats().get("read");
        assertThat(read.calls()).isEqualTo(3);
        assertThat(read.failures()).isEqualTo(2);
        assertThat(read.totalNanos()).isPositive();
    }
}
