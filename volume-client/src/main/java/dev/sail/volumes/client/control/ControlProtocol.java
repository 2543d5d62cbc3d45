package dev.sail.volumes.client.control;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The control protocol between a mount's daemon and its clients (the CLI, {@code MountedVolume},
 * any language), documented in {@code docs/control-protocol.md}: over a Unix domain socket, the
 * client writes one JSON request line; the daemon answers zero or more progress lines and then one
 * final line, and closes the connection.
 *
 * <pre>
 * request   {"op":"commit"} | {"op":"reload"} | {"op":"status"} | {"op":"unmount"}
 *           | {"op":"stash-list"} | {"op":"stash-restore","stash":"&lt;id&gt;"}
 * progress  {"event":"progress","bytesDone":N,"bytesTotal":N,"chunksDone":N,"chunksTotal":N}
 * final     {"ok":true,"result":{...}} | {"ok":false,"error":{"code":"...","message":"..."}}
 * </pre>
 *
 * Thread-safe.
 */
public final class ControlProtocol {
    public static final String OP_COMMIT = "commit";
    public static final String OP_RELOAD = "reload";
    public static final String OP_STATUS = "status";
    public static final String OP_UNMOUNT = "unmount";
    public static final String OP_STASH_LIST = "stash-list";
    public static final String OP_STASH_RESTORE = "stash-restore";

    /** Where sockets live unless {@code SAIL_VOLUME_RUN_DIR} says otherwise. */
    public static final Path DEFAULT_RUN_DIR = Path.of("/run/sail-volume");

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ControlProtocol() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * The directory that holds control sockets: {@code $SAIL_VOLUME_RUN_DIR}, else {@code /run/sail-volume}
     * when it can be created, else {@code /tmp/sail-volume-<user>}. Sockets live here rather than in
     * the state dir because a socket path may not exceed 107 bytes.
     */
    public static Path defaultRunDir() {
        String configured = System.getenv("SAIL_VOLUME_RUN_DIR");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        try {
            Files.createDirectories(DEFAULT_RUN_DIR);
            if (Files.isWritable(DEFAULT_RUN_DIR)) {
                return DEFAULT_RUN_DIR;
            }
        } catch (IOException | SecurityException e) {
            // Not root: fall through to a per-user directory.
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "sail-volume-" + System.getProperty("user.name"));
    }

    /** The control socket of the mount at {@code mountpoint} (absolute), under {@code runDir}. */
    public static Path socketFor(Path runDir, Path mountpoint) {
        String normalized = mountpoint.toAbsolutePath().normalize().toString();
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(normalized.getBytes(StandardCharsets.UTF_8));
            return runDir.resolve(HexFormat.of().formatHex(digest, 0, 10) + ".sock");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("The JDK always provides SHA-256", e);
        }
    }

    public static ObjectNode request(String op) {
        return MAPPER.createObjectNode().put("op", op);
    }

    public static ObjectNode ok(Object result) {
        ObjectNode node = MAPPER.createObjectNode().put("ok", true);
        node.set("result", MAPPER.valueToTree(result));
        return node;
    }

    public static ObjectNode error(String code, String message) {
        ObjectNode node = MAPPER.createObjectNode().put("ok", false);
        node.putObject("error").put("code", code).put("message", message);
        return node;
    }

    public static ObjectNode progress(long bytesDone, long bytesTotal, int chunksDone, int chunksTotal) {
        return MAPPER.createObjectNode().put("event", "progress").put("bytesDone", bytesDone).put("bytesTotal", bytesTotal)
                .put("chunksDone", chunksDone).put("chunksTotal", chunksTotal);
    }

    public static byte[] line(JsonNode node) {
        try {
            byte[] json = MAPPER.writeValueAsBytes(node);
            byte[] line = new byte[json.length + 1];
            System.arraycopy(json, 0, line, 0, json.length);
            line[json.length] = '\n';
            return line;
        } catch (IOException e) {
            throw new IllegalStateException("A JSON tree always serializes", e);
        }
    }

    public static JsonNode parse(String line) {
        try {
            return MAPPER.readTree(line);
        } catch (IOException e) {
            throw new MountControlException("invalid_request", "Not a JSON line: " + e.getMessage());
        }
    }

    public static <T> T result(JsonNode result, Class<T> type) {
        try {
            return MAPPER.treeToValue(result, type);
        } catch (IOException e) {
            throw new MountControlException("internal", "Unexpected " + type.getSimpleName() + " from the daemon: " + e.getMessage());
        }
    }
}
