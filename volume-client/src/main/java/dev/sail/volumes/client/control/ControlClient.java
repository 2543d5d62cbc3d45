package dev.sail.volumes.client.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Talks to one mount's daemon over its control socket ({@link ControlProtocol}). Each call opens
 * its own connection, so the client is thread-safe and holds nothing open.
 */
public final class ControlClient {
    /** Receives the progress lines of a long commit. */
    @FunctionalInterface
    public interface ProgressListener {
        void progress(long bytesDone, long bytesTotal, int chunksDone, int chunksTotal);
    }

    private final Path socket;
    private final Path mountpoint;

    public ControlClient(Path socket, Path mountpoint) {
        this.socket = Objects.requireNonNull(socket, "socket");
        this.mountpoint = Objects.requireNonNull(mountpoint, "mountpoint");
    }

    /** The client of the mount at {@code mountpoint}, through the default run dir. */
    public static ControlClient forMount(Path mountpoint) {
        return forMount(mountpoint, ControlProtocol.defaultRunDir());
    }

    public static ControlClient forMount(Path mountpoint, Path runDir) {
        Path absolute = mountpoint.toAbsolutePath().normalize();
        return new ControlClient(ControlProtocol.socketFor(runDir, absolute), absolute);
    }

    public Path socket() {
        return socket;
    }

    public CommitReport commit(ProgressListener listener) {
        return ControlProtocol.result(call(ControlProtocol.request(ControlProtocol.OP_COMMIT), listener), CommitReport.class);
    }

    public ReloadReport reload() {
        return ControlProtocol.result(call(ControlProtocol.request(ControlProtocol.OP_RELOAD), null), ReloadReport.class);
    }

    public MountStatus status() {
        return ControlProtocol.result(call(ControlProtocol.request(ControlProtocol.OP_STATUS), null), MountStatus.class);
    }

    /** Asks the daemon to unmount and exit; returns once it has unmounted. */
    public void unmount() {
        call(ControlProtocol.request(ControlProtocol.OP_UNMOUNT), null);
    }

    public List<StashInfo> stashList() {
        JsonNode result = call(ControlProtocol.request(ControlProtocol.OP_STASH_LIST), null);
        List<StashInfo> stashes = new ArrayList<>();
        for (JsonNode stash : result.path("stashes")) {
            stashes.add(ControlProtocol.result(stash, StashInfo.class));
        }
        return stashes;
    }

    /** Restores a stash into the overlay; answers the restored paths. */
    public List<String> stashRestore(String stashId) {
        ObjectNode request = ControlProtocol.request(ControlProtocol.OP_STASH_RESTORE).put("stash", stashId);
        List<String> paths = new ArrayList<>();
        call(request, null).path("restored").forEach(p -> paths.add(p.asText()));
        return paths;
    }

    /** True when a daemon answers on the socket (whatever it answers). */
    public boolean isReachable() {
        try {
            call(ControlProtocol.request(ControlProtocol.OP_STATUS), null);
            return true;
        } catch (MountControlException e) {
            return !"not_mounted".equals(e.code()) && !"unavailable".equals(e.code());
        }
    }

    /** Sends one request; answers the final line's {@code result}, passing progress lines to {@code listener}. */
    public JsonNode call(ObjectNode request, ProgressListener listener) {
        if (!Files.exists(socket)) {
            throw new MountControlException("not_mounted", "No sail-volume mount at " + mountpoint
                    + " (no control socket " + socket + ")");
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap(ControlProtocol.line(request));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null) {
                JsonNode node = ControlProtocol.parse(line);
                if (node.has("event")) {
                    if (listener != null && "progress".equals(node.path("event").asText())) {
                        listener.progress(node.path("bytesDone").asLong(), node.path("bytesTotal").asLong(),
                                node.path("chunksDone").asInt(), node.path("chunksTotal").asInt());
                    }
                    continue;
                }
                if (node.path("ok").asBoolean()) {
                    return node.path("result");
                }
                JsonNode error = node.path("error");
                throw new MountControlException(error.path("code").asText("internal"), error.path("message").asText("The daemon failed"));
            }
            throw new MountControlException("unavailable", "The daemon of " + mountpoint + " closed the connection without an answer");
        } catch (IOException e) {
            throw new MountControlException("unavailable", "Cannot reach the daemon of " + mountpoint + " at " + socket
                    + ": " + e.getMessage(), e);
        }
    }
}
