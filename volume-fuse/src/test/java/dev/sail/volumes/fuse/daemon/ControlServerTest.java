package dev.sail.volumes.fuse.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.client.control.ControlClient;
import dev.sail.volumes.client.control.ControlProtocol;
import dev.sail.volumes.client.control.MountControlException;
import dev.sail.volumes.fuse.VolumeFuseException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control protocol end to end over a real Unix socket, with a scripted daemon behind it. */
class ControlServerTest {
    @TempDir
    Path temp;

    final Path mountpoint = Path.of("/mnt/test");

    ControlServer.Handler scripted = (op, request, progress) -> switch (op) {
        case "commit" -> {
            progress.send(ControlProtocol.progress(8, 16, 1, 2));
            progress.send(ControlProtocol.progress(16, 16, 2, 2));
            yield new CommitReport("c1", 1, 3, 16, 2, 1, List.of("a/b"));
        }
        case "reload" -> throw new VolumeFuseException("Cannot reload: volume 'v' no longer exists");
        default -> throw new MountControlException("invalid_request", "Unknown operation '" + op + "'");
    };

    @Test
    void aCommitStreamsProgressThenItsReport() throws Exception {
        Path socket = temp.resolve("run/m.sock");
        try (ControlServer server = ControlServer.start(socket, mountpoint, scripted)) {
            List<String> progress = new ArrayList<>();
            CommitReport report = new ControlClient(socket, mountpoint).commit((b, bt, c, ct) -> progress.add(b + "/" + bt + " " + c + "/" + ct));

            assertThat(report).isEqualTo(new CommitReport("c1", 1, 3, 16, 2, 1, List.of("a/b")));
            assertThat(progress).containsExactly("8/16 1/2", "16/16 2/2");
            assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.getPosixFilePermissions(socket.getParent())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        }
        assertThat(Files.exists(socket)).as("closing removes the socket").isFalse();
    }

    @Test
    void failuresArriveAsCodesAndMessages() throws Exception {
        Path socket = temp.resolve("m.sock");
        try (ControlServer server = ControlServer.start(socket, mountpoint, scripted)) {
            ControlClient client = new ControlClient(socket, mountpoint);
            assertThatThrownBy(client::reload).isInstanceOf(MountControlException.class)
                    .hasMessage("Cannot reload: volume 'v' no longer exists")
                    .extracting(e -> ((MountControlException) e).code()).isEqualTo("failed");
            assertThatThrownBy(client::status).isInstanceOf(MountControlException.class)
                    .hasMessage("Unknown operation 'status'");
        }
    }

    @Test
    void aStaleSocketIsReplacedButALiveOneIsNot() throws Exception {
        Path socket = temp.resolve("m.sock");
        Files.createFile(socket);
        try (ControlServer server = ControlServer.start(socket, mountpoint, scripted)) {
            assertThat(new ControlClient(socket, mountpoint).commit(null).commit()).isEqualTo("c1");
            try (ControlServer liveServer = ControlServer.start(temp.resolve("live.sock"), mountpoint, scripted)) {
                assertThatThrownBy(() -> ControlServer.start(temp.resolve("live.sock"), mountpoint, scripted))
                        .isInstanceOf(VolumeFuseException.class)
                        .hasMessageContaining("A sail-volume daemon already serves /mnt/test");
            }
        }
    }

    @Test
    void closingWaitsUntilTheRequestInFlightHasAnswered() throws Exception {
        // The daemon's unmount releases the main thread, which closes the server and exits the process:
        // the unmount's answer must be on the wire before close() returns.
        CountDownLatch unmounted = new CountDownLatch(1);
        CountDownLatch answerMayGo = new CountDownLatch(1);
        ControlServer.Handler unmounting = (op, request, progress) -> {
            unmounted.countDown();
            answerMayGo.await(10, TimeUnit.SECONDS);
            return Map.of("unmounted", "/mnt/test");
        };
        Path socket = temp.resolve("u.sock");
        ControlServer server = ControlServer.start(socket, mountpoint, unmounting);
        CompletableFuture<Void> unmount = CompletableFuture.runAsync(() -> new ControlClient(socket, mountpoint).unmount());
        assertThat(unmounted.await(10, TimeUnit.SECONDS)).as("the request reached the handler").isTrue();
        CompletableFuture<Void> close = CompletableFuture.runAsync(server::close);

        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(close).as("close() waits for the answer in flight").isNotDone());
        answerMayGo.countDown();
        close.get(10, TimeUnit.SECONDS);
        assertThat(unmount).as("the answer was written before close() returned").succeedsWithin(Duration.ofSeconds(10));
    }

    @Test
    void manyUnmountsInARowAllGetTheirAnswer() throws Exception {
        for (int round = 0; round < 30; round++) {
            CountDownLatch unmounted = new CountDownLatch(1);
            Path socket = temp.resolve("r" + round + ".sock");
            ControlServer server = ControlServer.start(socket, mountpoint, (op, request, progress) -> {
                unmounted.countDown();
                return Map.of("unmounted", "/mnt/test");
            });
            CompletableFuture<Void> unmount = CompletableFuture.runAsync(() -> new ControlClient(socket, mountpoint).unmount());
            assertThat(unmounted.await(10, TimeUnit.SECONDS)).isTrue();
            server.close();
            assertThat(unmount).as("round %d", round).succeedsWithin(Duration.ofSeconds(10));
        }
    }

    @Test
    void aMissingSocketMeansNotMounted() {
        assertThatThrownBy(() -> new ControlClient(temp.resolve("none.sock"), mountpoint).status())
                .isInstanceOf(MountControlException.class)
                .hasMessageContaining("No sail-volume mount at /mnt/test")
                .extracting(e -> ((MountControlException) e).code()).isEqualTo("not_mounted");
    }
}
