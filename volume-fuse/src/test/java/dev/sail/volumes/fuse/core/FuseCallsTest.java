package dev.sail.volumes.fuse.core;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sail.volumes.client.ServiceUnavailableException;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

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
    void everyEioLogsOneLineWithTheVolumeThePathAndTheCause() {
        Logger logger = (Logger) LoggerFactory.getLogger(FuseCalls.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            FuseCalls named = new FuseCalls("shared");
            named.runVoid("create", "/from-b.txt", () -> {
                throw new ServiceUnavailableException("Volume service at http://127.0.0.1:1 failed GET /v1/volumes/shared/list", null);
            });
            named.runVoid("write", "/a/b", () -> {
                throw new IOException("chunk file gone", new IOException("ENOENT"));
            });
            named.runVoid("lookup", "/gone", () -> {
                throw new FsError(Errno.ENOENT, "No such file: /gone");
            });
        } finally {
            logger.detachAppender(appender);
        }
        assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "Volume 'shared': create /from-b.txt failed with EIO: the volume service is unreachable "
                        + "(Volume service at http://127.0.0.1:1 failed GET /v1/volumes/shared/list)",
                "Volume 'shared': write /a/b failed with EIO: java.io.IOException: chunk file gone <- java.io.IOException: ENOENT");
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
