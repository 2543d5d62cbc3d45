package dev.sail.volumes.manifest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkingException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The JSON wire form of entries, changes, versions and commit proposals, format {@value #FORMAT}.
 *
 * <p>Canonical: fields are written in one fixed order with no whitespace, so equal values encode to
 * equal bytes (golden files in the tests pin the format). Strict: a value of the wrong type, a
 * missing field or an unknown field is rejected with a {@link ManifestException} of code
 * {@code invalid_json} naming the field. Thread-safe.
 *
 * <pre>
 * entry    {"type":"file","size":5,"mode":420,"mtimeNanos":0,"chunks":["&lt;64 hex&gt;"]}
 *          {"type":"dir","mode":493,"mtimeNanos":0}
 *          {"type":"symlink","target":"../a","mtimeNanos":0}
 *          {"type":"deleted"}
 * change   {"path":"a/b", ...entry fields}
 * version  {"path":"a/b","seq":7, ...entry fields}
 * proposal {"format":1,"baseSeq":3,"idempotencyKey":"k","mountId":"m","changes":[change...]}
 * </pre>
 */
public final class WireCodec {
    /** The wire format version; bump it, and add a golden file, when the format changes. */
    public static final int FORMAT = 1;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ObjectMapper MAPPER = newMapper();

    private WireCodec() {
    }

    /** A mapper with the limits the service applies to every request body. */
    public static ObjectMapper newMapper() {
        ObjectMapper mapper = new ObjectMapper();
        // Strict: "{} {}" and {"a":1,"a":2} are errors, not the first value or the last field.
        mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        mapper.getFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64)
                .maxStringLength(1 << 20)
                .build());
        return mapper;
    }

    /** The shared mapper (thread-safe once configured). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    // ---- entries ----------------------------------------------------------------------------

    public static ObjectNode entryNode(Entry entry) {
        ObjectNode node = NODES.objectNode();
        writeEntryFields(node, entry);
        return node;
    }

    public static Entry entry(JsonNode node) {
        return readEntry(object(node, "entry"), "entry", Set.of());
    }

    public static ObjectNode changeNode(Change change) {
        ObjectNode node = NODES.objectNode();
        node.put("path", change.path().value());
        writeEntryFields(node, change.entry());
        return node;
    }

    public static Change change(JsonNode node) {
        ObjectNode object = object(node, "change");
        return new Change(path(object, "path"), readEntry(object, "change", Set.of("path")));
    }

    public static ObjectNode versionedNode(Versioned versioned) {
        ObjectNode node = NODES.objectNode();
        node.put("path", versioned.path().value());
        node.put("seq", versioned.seq());
        writeEntryFields(node, versioned.entry());
        return node;
    }

    public static Versioned versioned(JsonNode node) {
        ObjectNode object = object(node, "version");
        return new Versioned(path(object, "path"), readEntry(object, "version", Set.of("path", "seq")),
                longField(object, "seq"));
    }

    // ---- proposals --------------------------------------------------------------------------

    public static ObjectNode proposalNode(CommitProposal proposal) {
        ObjectNode node = NODES.objectNode();
        node.put("format", FORMAT);
        node.put("baseSeq", proposal.baseSeq());
        node.put("idempotencyKey", proposal.idempotencyKey());
        node.put("mountId", proposal.mountId());
        ArrayNode changes = node.putArray("changes");
        for (Change change : proposal.changes()) {
            changes.add(changeNode(change));
        }
        return node;
    }

    public static CommitProposal proposal(JsonNode node) {
        ObjectNode object = object(node, "commit");
        // The format first: a newer format's fields are not "unknown", they are from another format.
        long format = longField(object, "format");
        if (format != FORMAT) {
            throw invalid("commit: format " + format + " is not supported (this service speaks format " + FORMAT + ")");
        }
        onlyFields(object, "commit", Set.of("format", "baseSeq", "idempotencyKey", "mountId", "changes"));
        List<Change> changes = new ArrayList<>();
        for (JsonNode change : array(object, "changes")) {
            changes.add(change(change));
        }
        return new CommitProposal(longField(object, "baseSeq"), textField(object, "idempotencyKey"),
                object.has("mountId") ? textField(object, "mountId") : "", changes);
    }

    // ---- bytes ------------------------------------------------------------------------------

    /** The canonical bytes of a node. */
    public static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A tree of plain nodes always serializes", e);
        }
    }

    /** Parses JSON text, turning a syntax error into an {@code invalid_json} error. */
    public static JsonNode parse(byte[] json) {
        try {
            JsonNode node = MAPPER.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw invalid("the body is empty");
            }
            return node;
        } catch (ManifestException e) {
            throw e;
        } catch (java.io.IOException e) {
            throw new ManifestException("invalid_json", "Malformed JSON: " + firstLine(e.getMessage()), e);
        }
    }

    // ---- field helpers, shared by every reader of this format -------------------------------

    public static ObjectNode object(JsonNode node, String what) {
        if (node == null || !node.isObject()) {
            throw invalid(what + " must be a JSON object");
        }
        return (ObjectNode) node;
    }

    public static ArrayNode array(ObjectNode object, String field) {
        JsonNode node = required(object, field);
        if (!node.isArray()) {
            throw invalid("'" + field + "' must be an array");
        }
        return (ArrayNode) node;
    }

    public static long longField(ObjectNode object, String field) {
        JsonNode node = required(object, field);
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            throw invalid("'" + field + "' must be an integer");
        }
        return node.asLong();
    }

    public static int intField(ObjectNode object, String field) {
        long value = longField(object, field);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw invalid("'" + field + "' is out of range");
        }
        return (int) value;
    }

    public static String textField(ObjectNode object, String field) {
        JsonNode node = required(object, field);
        if (!node.isTextual()) {
            throw invalid("'" + field + "' must be a string");
        }
        return node.asText();
    }

    public static VolumePath path(ObjectNode object, String field) {
        return VolumePath.of(textField(object, field));
    }

    public static ChunkId chunkId(JsonNode node) {
        if (node == null || !node.isTextual()) {
            throw invalid("a chunk id must be a string of 64 hex characters");
        }
        try {
            return ChunkId.ofHex(node.asText());
        } catch (ChunkingException e) {
            throw new ManifestException("invalid_chunk", e.getMessage(), e);
        }
    }

    /** Rejects any field of {@code object} not in {@code allowed}. */
    public static void onlyFields(ObjectNode object, String what, Set<String> allowed) {
        Iterator<String> names = object.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw invalid(what + ": unknown field '" + name + "'");
            }
        }
    }

    public static ManifestException invalid(String message) {
        return new ManifestException("invalid_json", "Invalid request: " + message);
    }

    private static JsonNode required(ObjectNode object, String field) {
        JsonNode node = object.get(field);
        if (node == null || node.isNull()) {
            throw invalid("missing field '" + field + "'");
        }
        return node;
    }

    private static void writeEntryFields(ObjectNode node, Entry entry) {
        switch (entry) {
            case Entry.File file -> {
                node.put("type", "file");
                node.put("size", file.size());
                node.put("mode", file.mode());
                node.put("mtimeNanos", file.mtimeNanos());
                ArrayNode chunks = node.putArray("chunks");
                file.chunks().forEach(id -> chunks.add(id.toString()));
            }
            case Entry.Directory dir -> {
                node.put("type", "dir");
                node.put("mode", dir.mode());
                node.put("mtimeNanos", dir.mtimeNanos());
            }
            case Entry.Symlink link -> {
                node.put("type", "symlink");
                node.put("target", link.target());
                node.put("mtimeNanos", link.mtimeNanos());
            }
            case Entry.Deleted ignored -> node.put("type", "deleted");
        }
    }

    private static Entry readEntry(ObjectNode node, String what, Set<String> extra) {
        String type = textField(node, "type");
        return switch (type) {
            case "file" -> {
                onlyFields(node, what, union(extra, "type", "size", "mode", "mtimeNanos", "chunks"));
                List<ChunkId> chunks = new ArrayList<>();
                for (JsonNode id : array(node, "chunks")) {
                    chunks.add(chunkId(id));
                }
                yield new Entry.File(longField(node, "size"), intField(node, "mode"), longField(node, "mtimeNanos"), chunks);
            }
            case "dir" -> {
                onlyFields(node, what, union(extra, "type", "mode", "mtimeNanos"));
                yield new Entry.Directory(intField(node, "mode"), longField(node, "mtimeNanos"));
            }
            case "symlink" -> {
                onlyFields(node, what, union(extra, "type", "target", "mtimeNanos"));
                yield new Entry.Symlink(textField(node, "target"), longField(node, "mtimeNanos"));
            }
            case "deleted" -> {
                onlyFields(node, what, union(extra, "type"));
                yield Entry.DELETED;
            }
            default -> throw invalid(what + ": unknown type '" + type + "' (file, dir, symlink or deleted)");
        };
    }

    private static Set<String> union(Set<String> extra, String... fields) {
        java.util.HashSet<String> all = new java.util.HashSet<>(extra);
        all.addAll(List.of(fields));
        return all;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
