package dev.sail.volumes.fuse.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.fuse.VolumeFuseException;
import dev.sail.volumes.manifest.VolumePath;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored form of overlay entries (local state and stashes), as small JSON objects:
 * <pre>
 * {"t":"whiteout"}
 * {"t":"dir","mode":493,"mtime":0,"opaque":true,"shadows":false}
 * {"t":"link","target":"../a","mtime":0}
 * {"t":"file","mode":420,"mtime":0,"size":5,"chunks":["c:&lt;hex&gt;","d:17"]}
 * </pre>
 * Thread-safe.
 */
final class OverlayCodec {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private OverlayCodec() {
    }

    static ObjectNode node(Local local) {
        ObjectNode node = MAPPER.createObjectNode();
        switch (local) {
            case Local.Whiteout w -> node.put("t", "whiteout");
            case Local.Dir d -> node.put("t", "dir").put("mode", d.mode()).put("mtime", d.mtimeNanos())
                    .put("opaque", d.opaque()).put("shadows", d.shadowsRemoteDir());
            case Local.Link l -> node.put("t", "link").put("target", l.target()).put("mtime", l.mtimeNanos());
            case Local.FileRef f -> fileNode(node, f.node().snapshot());
        }
        return node;
    }

    static ObjectNode fileNode(ObjectNode node, FileNode.Snapshot file) {
        node.put("t", "file").put("mode", file.mode()).put("mtime", file.mtimeNanos()).put("size", file.size());
        ArrayNode chunks = node.putArray("chunks");
        for (ChunkRef ref : file.chunks()) {
            chunks.add(switch (ref) {
                case ChunkRef.Clean c -> "c:" + c.id();
                case ChunkRef.Dirty d -> "d:" + d.id();
            });
        }
        return node;
    }

    static byte[] encode(Local local) {
        try {
            return MAPPER.writeValueAsBytes(node(local));
        } catch (IOException e) {
            throw new VolumeFuseException("Cannot encode an overlay entry: " + e.getMessage(), e);
        }
    }

    static Local decode(VolumePath path, byte[] bytes) {
        try {
            return decode(path, MAPPER.readTree(bytes));
        } catch (IOException e) {
            throw new VolumeFuseException("Corrupt local state for '" + path + "': " + e.getMessage(), e);
        }
    }

    static Local decode(VolumePath path, JsonNode node) {
        String type = node.path("t").asText();
        return switch (type) {
            case "whiteout" -> Local.WHITEOUT;
            case "dir" -> new Local.Dir(node.path("mode").asInt(), node.path("mtime").asLong(),
                    node.path("opaque").asBoolean(), node.path("shadows").asBoolean());
            case "link" -> new Local.Link(node.path("target").asText(), node.path("mtime").asLong());
            case "file" -> {
                List<ChunkRef> refs = new ArrayList<>();
                for (JsonNode chunk : node.path("chunks")) {
                    String text = chunk.asText();
                    refs.add(text.startsWith("c:") ? new ChunkRef.Clean(ChunkId.ofHex(text.substring(2)))
                            : new ChunkRef.Dirty(Long.parseLong(text.substring(2))));
                }
                yield new Local.FileRef(new FileNode(path, node.path("mode").asInt(), node.path("mtime").asLong(),
                        node.path("size").asLong(), refs));
            }
            default -> throw new VolumeFuseException("Corrupt local state for '" + path + "': unknown entry type '" + type + "'");
        };
    }
}
