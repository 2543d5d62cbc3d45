package dev.sail.volumes.service.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.PackId;
import dev.sail.volumes.chunking.ChunkingException;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.ManifestException;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.WireCodec;
import dev.sail.volumes.service.ApiKeys;
import dev.sail.volumes.service.MissingChunksException;
import dev.sail.volumes.service.ServiceException;
import dev.sail.volumes.service.ServiceMetrics;
import dev.sail.volumes.service.VolumeOperations;
import dev.sail.volumes.service.storage.ChunkStorage;
import dev.sail.volumes.service.store.Caller;
import dev.sail.volumes.service.store.CommitRecord;
import dev.sail.volumes.service.store.Org;
import dev.sail.volumes.service.store.VolumeRecord;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/JSON API of {@code docs/api.md} on Javalin (Jetty, virtual threads). Every error is
 * {@code {"error":{"code","message"}}}; stack traces go to the log, never to the client. Request
 * paths and bodies are never logged with keys or URLs. Thread-safe; {@link #close()} stops the server.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String JSON = "application/json";
    private static final String CALLER = "sail.caller";
    private static final int DEFAULT_LIMIT = 1000;

    private final VolumeOperations operations;
    private final ApiKeys keys;
    private final ServiceMetrics metrics;
    private final long maxBodyBytes;
    private final Javalin app;

    private ApiServer(VolumeOperations operations, ApiKeys keys, ServiceMetrics metrics, long maxBodyBytes) {
        this.operations = operations;
        this.keys = keys;
        this.metrics = metrics;
        this.maxBodyBytes = maxBodyBytes;
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = maxBodyBytes;
            config.http.defaultContentType = JSON;
            config.jetty.modifyServer(server -> server.setStopTimeout(10_000));
            config.requestLogger.http(this::record);
            routes(config.routes);
        });
    }

    /** Starts the API on {@code host:port} (0: any free port). */
    public static ApiServer start(VolumeOperations operations, ApiKeys keys, ServiceMetrics metrics, long maxBodyBytes,
                                  String host, int port) {
        ApiServer server = new ApiServer(operations, keys, metrics, maxBodyBytes);
        server.app.start(host, port);
        return server;
    }

    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
    }

    // ---- routes -----------------------------------------------------------------------------

    private void routes(io.javalin.config.RoutesConfig r) {
        r.get("/healthz", ctx -> ok(ctx, NODES.objectNode().put("status", "ok")));
        r.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
        r.before("/v1/*", this::authenticate);

        r.post("/v1/admin/orgs", ctx -> {
            requireAdmin(ctx);
            ObjectNode body = body(ctx, "org request");
            WireCodec.onlyFields(body, "org request", Set.of("name"));
            String name = WireCodec.textField(body, "name");
            String key = keys.createOrg(name);
            LOG.info("Created org '{}'", name);
            ctx.status(201);
            ok(ctx, NODES.objectNode().put("org", name).put("apiKey", key));
        });

        r.get("/v1/volumes", ctx -> {
            ArrayNode volumes = NODES.arrayNode();
            operations.listVolumes(org(ctx)).forEach(v -> volumes.add(volumeNode(v)));
            ObjectNode answer = NODES.objectNode();
            answer.set("volumes", volumes);
            ok(ctx, answer);
        });
        r.put("/v1/volumes/{name}", ctx -> {
            String mint = ctx.queryParam("mintIfMissing");
            if (mint != null && !mint.equals("true") && !mint.equals("false")) {
                throw ServiceException.invalidRequest("Invalid mintIfMissing '" + mint + "': use true or false");
            }
            VolumeOperations.Found found = operations.findOrCreate(org(ctx), volumeName(ctx),
                    "true".equals(mint) ? VolumeOperations.MintPolicy.CREATE_IF_MISSING : VolumeOperations.MintPolicy.FIND_ONLY);
            ctx.status(found.created() ? 201 : 200);
            ok(ctx, volumeNode(found.volume()));
        });
        r.get("/v1/volumes/{name}", ctx -> ok(ctx, volumeNode(operations.loadVolume(org(ctx), volumeName(ctx)))));
        r.delete("/v1/volumes/{name}", ctx -> {
            operations.deleteVolume(org(ctx), volumeName(ctx));
            ctx.status(204);
        });

        r.post("/v1/volumes/{name}/uploads", ctx -> {
            ObjectNode body = body(ctx, "upload request");
            WireCodec.onlyFields(body, "upload request", Set.of("chunks", "packing"));
            VolumeOperations.UploadMode mode = body.has("packing") && booleanField(body, "packing")
                    ? VolumeOperations.UploadMode.SMALL_CHUNKS_IN_PACKS : VolumeOperations.UploadMode.CHUNKS;
            VolumeOperations.UploadPlan plan = operations.planUploads(org(ctx), volumeName(ctx), chunkSizes(body), mode);
            ObjectNode answer = NODES.objectNode();
            ArrayNode uploads = answer.putArray("uploads");
            plan.uploads().forEach((id, presigned) -> uploads.add(presignedNode(id, presigned)));
            ArrayNode present = answer.putArray("present");
            plan.present().forEach(id -> present.add(id.toString()));
            ArrayNode packable = answer.putArray("packable");
            plan.packable().forEach(id -> packable.add(id.toString()));
            answer.put("expiresInSeconds", plan.expiresIn().toSeconds());
            ok(ctx, answer);
        });
        r.post("/v1/volumes/{name}/packs", ctx -> {
            ObjectNode body = body(ctx, "pack request");
            WireCodec.onlyFields(body, "pack request", Set.of("packs"));
            List<VolumeOperations.PackRequest> packs = new ArrayList<>();
            for (JsonNode item : WireCodec.array(body, "packs")) {
                ObjectNode pack = WireCodec.object(item, "pack");
                WireCodec.onlyFields(pack, "pack", Set.of("id", "size", "chunks"));
                List<VolumeOperations.ChunkSpec> chunks = new ArrayList<>();
                chunkSizes(pack).forEach((id, size) -> chunks.add(new VolumeOperations.ChunkSpec(id, size)));
                packs.add(new VolumeOperations.PackRequest(packId(pack.get("id")), WireCodec.longField(pack, "size"), chunks));
            }
            ObjectNode answer = NODES.objectNode();
            ArrayNode answers = answer.putArray("packs");
            for (VolumeOperations.PackUpload upload : operations.packUploads(org(ctx), volumeName(ctx), packs)) {
                if (upload.upload().isPresent()) {
                    ObjectNode node = answers.addObject().put("id", upload.id().toString())
                            .put("url", upload.upload().get().url().toString());
                    ObjectNode headers = node.putObject("headers");
                    upload.upload().get().headers().forEach(headers::put);
                } else {
                    answers.addObject().put("id", upload.id().toString()).put("present", true);
                }
            }
            answer.put("expiresInSeconds", operations.presignExpiry().toSeconds());
            ok(ctx, answer);
        });
        r.post("/v1/volumes/{name}/uploads/verify", ctx -> {
            ObjectNode body = body(ctx, "verify request");
            WireCodec.onlyFields(body, "verify request", Set.of("chunks", "packs"));
            Map<ChunkId, Long> chunks = chunkSizes(body);
            Map<PackId, Long> packs = new LinkedHashMap<>();
            if (body.has("packs")) {
                for (JsonNode item : WireCodec.array(body, "packs")) {
                    ObjectNode pack = WireCodec.object(item, "pack");
                    WireCodec.onlyFields(pack, "pack", Set.of("id", "size"));
                    packs.put(packId(pack.get("id")), WireCodec.longField(pack, "size"));
                }
            }
            Set<ChunkId> held = operations.verifyUploads(org(ctx), volumeName(ctx), chunks, packs);
            ObjectNode answer = NODES.objectNode();
            ArrayNode verified = answer.putArray("verified");
            held.forEach(id -> verified.add(id.toString()));
            ArrayNode missing = answer.putArray("missing");
            chunks.keySet().stream().filter(id -> !held.contains(id)).forEach(id -> missing.add(id.toString()));
            ok(ctx, answer);
        });
        r.post("/v1/volumes/{name}/commits", ctx -> {
            byte[] body = ctx.bodyAsBytes();
            CommitProposal proposal = WireCodec.proposal(WireCodec.parse(body));
            VolumeOperations.CommitAnswer answer = operations.commit(org(ctx), volumeName(ctx), proposal, body);
            ObjectNode node = NODES.objectNode();
            node.put("commit", answer.outcome().commit());
            node.put("seq", answer.outcome().seq());
            ArrayNode overwritten = node.putArray("overwritten");
            answer.outcome().overwritten().forEach(p -> overwritten.add(p.value()));
            node.put("applied", answer.outcome().applied());
            node.put("replayed", answer.replayed());
            ok(ctx, node);
        });
        r.get("/v1/volumes/{name}/commits", ctx -> {
            ArrayNode commits = NODES.arrayNode();
            for (CommitRecord c : operations.history(org(ctx), volumeName(ctx), seqParam(ctx, "before"), limit(ctx))) {
                ObjectNode node = commits.addObject();
                node.put("commit", c.commit());
                node.put("seq", c.seq());
                node.put("time", c.time().toString());
                node.put("mountId", c.mountId());
                node.put("changes", c.changes());
                ArrayNode overwritten = node.putArray("overwritten");
                c.overwritten().forEach(p -> overwritten.add(p.value()));
            }
            ObjectNode answer = NODES.objectNode();
            answer.set("commits", commits);
            ok(ctx, answer);
        });

        r.get("/v1/volumes/{name}/stat", ctx -> {
            VolumeOperations.Stat stat = operations.stat(org(ctx), volumeName(ctx), pathParam(ctx, "path"), seqParam(ctx, "at"));
            ObjectNode answer = NODES.objectNode();
            answer.put("seq", stat.seq());
            answer.set("version", WireCodec.versionedNode(stat.version()));
            ok(ctx, answer);
        });
        r.get("/v1/volumes/{name}/list", ctx -> {
            VolumeOperations.VersionPage page = operations.list(org(ctx), volumeName(ctx), pathParam(ctx, "path"),
                    seqParam(ctx, "at"), ctx.queryParam("after"), limit(ctx));
            ObjectNode answer = NODES.objectNode();
            answer.put("seq", page.seq());
            ArrayNode entries = answer.putArray("entries");
            page.items().forEach(v -> entries.add(WireCodec.versionedNode(v)));
            answer.put("next", page.next().orElse(null));
            ok(ctx, answer);
        });
        r.get("/v1/volumes/{name}/delta", ctx -> {
            OptionalLong from = seqParam(ctx, "from");
            if (from.isEmpty()) {
                throw ServiceException.invalidRequest("Missing query parameter 'from'");
            }
            String after = ctx.queryParam("after");
            if (after != null) {
                VolumePath.of(after);
            }
            VolumeOperations.VersionPage page = operations.delta(org(ctx), volumeName(ctx), from.getAsLong(),
                    seqParam(ctx, "to"), after, limit(ctx));
            ObjectNode answer = NODES.objectNode();
            answer.put("from", from.getAsLong());
            answer.put("to", page.seq());
            ArrayNode changes = answer.putArray("changes");
            page.items().forEach(v -> changes.add(WireCodec.versionedNode(v)));
            answer.put("next", page.next().orElse(null));
            ok(ctx, answer);
        });
        r.post("/v1/volumes/{name}/downloads", ctx -> {
            ObjectNode body = body(ctx, "download request");
            WireCodec.onlyFields(body, "download request", Set.of("chunks"));
            List<ChunkId> ids = new ArrayList<>();
            for (JsonNode item : WireCodec.array(body, "chunks")) {
                ids.add(WireCodec.chunkId(item));
            }
            Map<ChunkId, ChunkStorage.Presigned> urls = operations.downloads(org(ctx), volumeName(ctx), ids);
            ObjectNode answer = NODES.objectNode();
            ArrayNode downloads = answer.putArray("downloads");
            urls.forEach((id, presigned) -> downloads.add(presignedNode(id, presigned)));
            answer.put("expiresInSeconds", operations.presignExpiry().toSeconds());
            ok(ctx, answer);
        });

        r.exception(ServiceException.class, (e, ctx) -> {
            if (e.status() >= 500) {
                LOG.error("{} {} failed: {}", ctx.method(), ctx.path(), e.getMessage(), e);
            }
            ObjectNode error = error(e.code(), e.getMessage());
            if (e instanceof MissingChunksException missing) {
                ArrayNode chunks = ((ObjectNode) error.get("error")).putArray("chunks");
                missing.chunks().forEach(id -> chunks.add(id.toString()));
            }
            ctx.status(e.status());
            ok(ctx, error);
        });
        r.exception(ManifestException.class, (e, ctx) -> {
            ctx.status(e.code().equals("stale_base") ? 409 : 400);
            ok(ctx, error(e.code(), e.getMessage()));
        });
        r.exception(ChunkingException.class, (e, ctx) -> {
            ctx.status(400);
            ok(ctx, error("invalid_chunk", e.getMessage()));
        });
        r.exception(HttpResponseException.class, (e, ctx) -> {
            int status = e.getStatus();
            String code = status == 413 ? "body_too_large" : status == 404 ? "not_found" : "invalid_request";
            String message = status == 413 ? "Request body too large: the limit is " + maxBodyBytes + " bytes" : e.getMessage();
            ctx.status(status);
            ok(ctx, error(code, message));
        });
        r.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            ctx.status(500);
            ok(ctx, error("internal", "Internal error: " + e.getClass().getSimpleName() + " (details in the service log)"));
        });
        r.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty() || !ctx.result().startsWith("{")) {
                ok(ctx, error("not_found", "No such endpoint: " + ctx.method() + " " + ctx.path()));
            }
        });
        r.error(405, ctx -> {
            if (ctx.result() == null || !ctx.result().startsWith("{")) {
                ok(ctx, error("method_not_allowed", "Method " + ctx.method() + " is not allowed on " + ctx.path()));
            }
        });
    }

    // ---- auth -------------------------------------------------------------------------------

    private void authenticate(Context ctx) {
        String contentLength = ctx.header("Content-Length");
        if (contentLength != null) {
            try {
                if (Long.parseLong(contentLength.trim()) > maxBodyBytes) {
                    throw new ServiceException(413, "body_too_large", "Request body of " + contentLength.trim()
                            + " bytes is too large: the limit is " + maxBodyBytes + " bytes");
                }
            } catch (NumberFormatException e) {
                throw ServiceException.invalidRequest("Invalid Content-Length header");
            }
        }
        String header = ctx.header("Authorization");
        if (header == null || !header.startsWith("Bearer ")) {
            throw new ServiceException(401, "unauthorized", "Missing API key: send 'Authorization: Bearer <key>'");
        }
        Caller caller = keys.resolve(header.substring("Bearer ".length()).trim())
                .orElseThrow(() -> new ServiceException(401, "unauthorized", "Unknown API key"));
        ctx.attribute(CALLER, caller);
    }

    private static Org org(Context ctx) {
        Caller caller = ctx.attribute(CALLER);
        if (caller instanceof Caller.Member member) {
            return member.org();
        }
        throw new ServiceException(403, "forbidden", "The admin key reaches /v1/admin only: use an org's API key");
    }

    private static void requireAdmin(Context ctx) {
        Caller caller = ctx.attribute(CALLER);
        if (!(caller instanceof Caller.Admin)) {
            throw new ServiceException(403, "forbidden", "Only the admin key may " + ctx.method() + " " + ctx.path());
        }
    }

    // ---- parameters -------------------------------------------------------------------------

    private static VolumeName volumeName(Context ctx) {
        return VolumeName.of(ctx.pathParam("name"));
    }

    private static VolumePath pathParam(Context ctx, String name) {
        String value = ctx.queryParam(name);
        return VolumePath.of(value == null ? "" : value);
    }

    private static OptionalLong seqParam(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if (value == null || value.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            long seq = Long.parseLong(value);
            if (seq < 0) {
                throw ServiceException.invalidRequest("Invalid '" + name + "' " + value + ": a sequence is non-negative");
            }
            return OptionalLong.of(seq);
        } catch (NumberFormatException e) {
            throw ServiceException.invalidRequest("Invalid '" + name + "' '" + abbreviate(value) + "': not an integer");
        }
    }

    private static int limit(Context ctx) {
        String value = ctx.queryParam("limit");
        if (value == null || value.isEmpty()) {
            return DEFAULT_LIMIT;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw ServiceException.invalidRequest("Invalid limit '" + abbreviate(value) + "': not an integer");
        }
    }

    private static JsonNode parse(Context ctx) {
        return WireCodec.parse(ctx.bodyAsBytes());
    }

    /** The {@code chunks} of an upload, pack or verify request: ids and sizes, each chunk at least one byte. */
    private static Map<ChunkId, Long> chunkSizes(ObjectNode body) {
        Map<ChunkId, Long> chunks = new LinkedHashMap<>();
        for (JsonNode item : WireCodec.array(body, "chunks")) {
            ObjectNode chunk = WireCodec.object(item, "chunk");
            WireCodec.onlyFields(chunk, "chunk", Set.of("id", "size"));
            long size = WireCodec.longField(chunk, "size");
            if (size <= 0) {
                throw new ServiceException(400, "invalid_chunk", "Invalid chunk size " + size + ": a chunk has at least one byte");
            }
            if (chunks.put(WireCodec.chunkId(chunk.get("id")), size) != null) {
                throw new ServiceException(400, "invalid_chunk", "Chunk " + chunk.get("id").asText() + " is listed twice");
            }
        }
        return chunks;
    }

    private static PackId packId(JsonNode node) {
        if (node == null || !node.isTextual() || !ChunkId.isValidHex(node.asText())) {
            throw new ServiceException(400, "invalid_pack", "Invalid pack id: a pack id is 64 lower-case hex characters");
        }
        return PackId.ofHex(node.asText());
    }

    private static boolean booleanField(ObjectNode object, String field) {
        JsonNode node = object.get(field);
        if (node == null || !node.isBoolean()) {
            throw new ServiceException(400, "invalid_json", "Invalid JSON: '" + field + "' must be true or false");
        }
        return node.asBoolean();
    }

    private static ObjectNode body(Context ctx, String what) {
        return WireCodec.object(parse(ctx), what);
    }

    // ---- answers ----------------------------------------------------------------------------

    private static void ok(Context ctx, JsonNode node) {
        ctx.contentType(JSON).result(WireCodec.bytes(node));
    }

    private static ObjectNode error(String code, String message) {
        ObjectNode node = NODES.objectNode();
        node.putObject("error").put("code", code).put("message", message);
        return node;
    }

    private static ObjectNode volumeNode(VolumeRecord v) {
        ObjectNode node = NODES.objectNode();
        node.put("name", v.name().value());
        node.put("id", v.id());
        node.put("headSeq", v.headSeq());
        node.put("headCommit", v.headCommit());
        node.put("createdAt", v.createdAt().toString());
        node.putObject("chunkLayout")
                .put("smallChunk", v.layout().smallChunk())
                .put("largeFrom", v.layout().largeFrom())
                .put("largeChunk", v.layout().largeChunk());
        return node;
    }

    private static ObjectNode presignedNode(ChunkId id, ChunkStorage.Presigned presigned) {
        ObjectNode node = NODES.objectNode();
        node.put("id", id.toString());
        node.put("url", presigned.url().toString());
        ObjectNode headers = node.putObject("headers");
        presigned.headers().forEach(headers::put);
        return node;
    }

    private void record(Context ctx, Float millis) {
        String route;
        try {
            route = ctx.endpoint().path;
        } catch (RuntimeException e) {
            route = "unmatched";
        }
        metrics.request(ctx.method().name(), route, ctx.statusCode(), Duration.ofNanos((long) (millis * 1_000_000)));
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
