package dev.sail.volumes.fuse.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sail.volumes.client.ServiceUnavailableException;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.client.control.ControlClient;
import dev.sail.volumes.client.control.ControlProtocol;
import dev.sail.volumes.client.control.MountControlException;
import dev.sail.volumes.fuse.VolumeFuseException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the control protocol ({@link ControlProtocol}) on a Unix domain socket readable by the
 * daemon's user only (mode 0600, in a 0700 directory). Each connection carries one request and is
 * handled on its own virtual thread. Closing stops accepting, removes the socket, and waits (at most
 * {@link #DRAIN_TIMEOUT_NANOS}) until every request in flight has written its answer: the daemon's
 * process exits right after, and an {@code unmount} must not lose its answer to that exit. Twice is fine.
 */
final class ControlServer implements AutoCloseable {
    /** What the server does for each request. */
    interface Handler {
        /** Answers the result object; {@code progress} sends a progress line to the client. */
        Object handle(String op, JsonNode request, ProgressSink progress) throws Exception;
    }

    interface ProgressSink {
        void send(ObjectNode line);
    }

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    /** How long {@link #close()} waits for the requests in flight to answer. */
    static final long DRAIN_TIMEOUT_NANOS = 30_000_000_000L;

    private final Path socket;
    private final ServerSocketChannel server;
    private final Handler handler;
    private final Thread acceptor;
    /** Requests accepted and not yet answered; guarded by {@code this}. */
    private int inFlight;
    private volatile boolean closed;

    private ControlServer(Path socket, ServerSocketChannel server, Handler handler) {
        this.socket = socket;
        this.server = server;
        this.handler = handler;
        this.acceptor = Thread.ofPlatform().daemon().name("control-accept").unstarted(this::acceptLoop);
    }

    /** Binds {@code socket}, replacing a stale socket file, and starts serving. */
    static ControlServer start(Path socket, Path mountpoint, Handler handler) throws IOException {
        Path dir = socket.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (Files.exists(socket)) {
            if (new ControlClient(socket, mountpoint).isReachable()) {
                throw new VolumeFuseException("A sail-volume daemon already serves " + mountpoint + " (socket " + socket + ")");
            }
            Files.delete(socket);
        }
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        ControlServer control = new ControlServer(socket, server, handler);
        control.acceptor.start();
        return control;
    }

    Path socket() {
        return socket;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel connection = server.accept();
                synchronized (this) {
                    inFlight++;
                }
                Thread.ofVirtual().name("control-request").start(() -> {
                    try {
                        serve(connection);
                    } finally {
                        synchronized (this) {
                            inFlight--;
                            notifyAll();
                        }
                    }
                });
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("Control socket accept failed: {}", e.toString());
                }
            }
        }
    }

    private void serve(SocketChannel connection) {
        try (connection) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(connection), StandardCharsets.UTF_8));
            String line = reader.readLine();
            if (line == null) {
                return;
            }
            ObjectNode answer;
            try {
                JsonNode request = ControlProtocol.parse(line);
                String op = request.path("op").asText("");
                Object result = handler.handle(op, request, progress -> send(connection, progress));
                answer = ControlProtocol.ok(result == null ? ControlProtocol.mapper().createObjectNode() : result);
            } catch (MountControlException e) {
                answer = ControlProtocol.error(e.code(), e.getMessage());
            } catch (ServiceUnavailableException e) {
                // Status 0: no answer at all. A 5xx answer keeps the service's code (storage_unavailable is S3, not the network).
                answer = e.status() == 0
                        ? ControlProtocol.error("unavailable", "The volume service is unreachable: " + e.getMessage())
                        : ControlProtocol.error(e.code(), "The volume service is unavailable: " + e.getMessage());
            } catch (VolumeServiceException e) {
                answer = ControlProtocol.error(e.code(), "The volume service refused: " + e.getMessage());
            } catch (VolumeFuseException | IOException e) {
                LOG.warn("Control request failed: {}", e.getMessage(), e);
                answer = ControlProtocol.error("failed", e.getMessage());
            } catch (Exception e) {
                LOG.error("Control request failed unexpectedly", e);
                answer = ControlProtocol.error("internal", "Internal error: " + e);
            }
            send(connection, answer);
        } catch (IOException e) {
            LOG.debug("Control connection ended early: {}", e.toString());
        }
    }

    private static void send(SocketChannel connection, ObjectNode line) {
        ByteBuffer bytes = ByteBuffer.wrap(ControlProtocol.line(line));
        try {
            synchronized (connection) {
                while (bytes.hasRemaining()) {
                    connection.write(bytes);
                }
            }
        } catch (IOException e) {
            LOG.debug("Control client went away: {}", e.toString());
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.warn("Closing the control socket {} failed: {}", socket, e.toString());
        }
        // A connection accepted just before the close is counted only once the acceptor has passed it on.
        if (Thread.currentThread() != acceptor) {
            try {
                acceptor.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        drain();
    }

    /** Waits until the requests in flight have answered (an unmount's answer is one of them). */
    private synchronized void drain() {
        long deadline = System.nanoTime() + DRAIN_TIMEOUT_NANOS;
        boolean interrupted = false;
        while (inFlight > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                LOG.warn("Closing the control socket {} with {} request(s) still unanswered after {} s", socket, inFlight,
                        DRAIN_TIMEOUT_NANOS / 1_000_000_000L);
                break;
            }
            try {
                wait(left / 1_000_000L + 1);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
