package dev.sail.volumes.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.manifest.VolumeName;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every kind of bad request gets a precise 4xx JSON error and changes nothing. */
class BadInputIT {
    private static final String HEX = "a".repeat(64);
    private static final String FILE_WITH_TWO_CHUNKS_FOR_TEN_BYTES = "{\"format\":1,\"baseSeq\":0,\"idempotencyKey\":\"k\",\"mountId\":\"m\","
            + "\"changes\":[{\"path\":\"f\",\"type\":\"file\",\"size\":10,\"mode\":420,\"mtimeNanos\":0,\"chunks\":[\"" + HEX + "\",\"" + HEX + "\"]}]}";

    @TempDir
    static Path data;
    static RunningService service;

    @BeforeAll
    static void start() {
        service = new RunningService(data, ServiceConfig.defaults(data).withMaxBodyBytes(64 * 1024));
        service.client().createVolumeIfMissing(VolumeName.of("v"));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    static Stream<Arguments> badRequests() {
        String commits = "/v1/volumes/v/commits";
        return Stream.of(
                Arguments.of("malformed JSON", "POST", commits, "{\"format\":1,", 400, "invalid_json", "Malformed JSON"),
                Arguments.of("not an object", "POST", commits, "[1,2]", 400, "invalid_json", "commit must be a JSON object"),
                Arguments.of("unknown field", "POST", commits,
                        "{\"format\":1,\"baseSeq\":0,\"idempotencyKey\":\"k\",\"changes\":[],\"force\":true}", 400, "invalid_json",
                        "unknown field 'force'"),
                Arguments.of("missing field", "POST", commits, "{\"format\":1,\"idempotencyKey\":\"k\",\"changes\":[]}", 400,
                        "invalid_json", "missing field 'baseSeq'"),
                Arguments.of("wrong format", "POST", commits, "{\"format\":2,\"baseSeq\":0,\"idempotencyKey\":\"k\",\"changes\":[]}",
                        400, "invalid_json", "format 2 is not supported"),
                Arguments.of("absolute path", "POST", commits, "{\"format\":1,\"baseSeq\":0,\"idempotencyKey\":\"k\",\"changes\":"
                        + "[{\"path\":\"/etc\",\"type\":\"deleted\"}]}", 400, "invalid_path", "it is absolute"),
                Arguments.of("dot-dot path", "POST", commits, "{\"format\":1,\"baseSeq\":0,\"idempotencyKey\":\"k\",\"changes\":"
                        + "[{\"path\":\"a/../b\",\"type\":\"deleted\"}]}", 400, "invalid_path", "'..' component"),
                Arguments.of("empty idempotency key", "POST", commits, "{\"format\":1,\"baseSeq\":0,\"idempotencyKey\":\"\",\"changes\":[]}",
                        400, "invalid_commit", "idempotency key"),
                Arguments.of("chunk count against the layout", "POST", commits, FILE_WITH_TWO_CHUNKS_FOR_TEN_BYTES, 400,
                        "invalid_entry", "a file of 10 bytes has 1 chunks, the entry lists 2"),
                Arguments.of("bad chunk id", "POST", "/v1/volumes/v/uploads", "{\"chunks\":[{\"id\":\"xyz\",\"size\":1}]}", 400,
                        "invalid_chunk", "64 hex characters"),
                Arguments.of("zero-size chunk", "POST", "/v1/volumes/v/uploads", "{\"chunks\":[{\"id\":\"" + HEX + "\",\"size\":0}]}",
                        400, "invalid_chunk", "at least one byte"),
                Arguments.of("verify of a zero-size chunk", "POST", "/v1/volumes/v/uploads/verify",
                        "{\"chunks\":[{\"id\":\"" + HEX + "\",\"size\":0}]}", 400, "invalid_chunk", "at least one byte"),
                Arguments.of("verify with an unknown field", "POST", "/v1/volumes/v/uploads/verify", "{\"chunks\":[],\"all\":true}",
                        400, "invalid_json", "unknown field 'all'"),
                Arguments.of("verify in an unknown volume", "POST", "/v1/volumes/nope/uploads/verify", "{\"chunks\":[]}", 404,
                        "volume_not_found", "Volume 'nope' does not exist"),
                Arguments.of("stale base", "POST", commits, "{\"format\":1,\"baseSeq\":9,\"idempotencyKey\":\"k\",\"changes\":[]}",
                        409, "stale_base", "on base 9: the head is at 0"),
                Arguments.of("invalid volume name", "PUT", "/v1/volumes/Bad_Name?mintIfMissing=true", null, 400, "invalid_name",
                        "Invalid volume name 'Bad_Name'"),
                Arguments.of("unknown volume", "GET", "/v1/volumes/nope", null, 404, "volume_not_found", "Volume 'nope' does not exist"),
                Arguments.of("invalid mintIfMissing", "PUT", "/v1/volumes/w?mintIfMissing=yes", null, 400, "invalid_request",
                        "Invalid mintIfMissing 'yes'"),
                Arguments.of("stat of a missing path", "GET", "/v1/volumes/v/stat?path=none", null, 404, "not_found",
                        "Path 'none' does not exist at commit 0"),
                Arguments.of("stat beyond the head", "GET", "/v1/volumes/v/stat?path=&at=7", null, 404, "unknown_seq",
                        "has no commit 7"),
                Arguments.of("non-numeric sequence", "GET", "/v1/volumes/v/list?path=&at=x", null, 400, "invalid_request",
                        "Invalid 'at' 'x': not an integer"),
                Arguments.of("limit zero", "GET", "/v1/volumes/v/list?path=&limit=0", null, 400, "invalid_request", "Invalid limit 0"),
                Arguments.of("delta without from", "GET", "/v1/volumes/v/delta", null, 400, "invalid_request",
                        "Missing query parameter 'from'"),
                Arguments.of("download of an unreferenced chunk", "POST", "/v1/volumes/v/downloads", "{\"chunks\":[\"" + HEX + "\"]}",
                        404, "unknown_chunk", "is not referenced by volume 'v'"),
                Arguments.of("unknown endpoint", "GET", "/v1/nothing", null, 404, "not_found", "Endpoint GET /v1/nothing not found"),
                Arguments.of("oversized body", "POST", commits, "{\"x\":\"" + "y".repeat(70 * 1024) + "\"}", 413, "body_too_large",
                        "the limit is 65536 bytes"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void answersAPreciseErrorAndChangesNothing(String what, String method, String path, String body, int status, String code,
                                              String message) {
        RunningService.Response response = service.call(method, path, service.key(), body);

        assertThat(response.status()).as(what).isEqualTo(status);
        assertThat(response.code()).as(what).isEqualTo(code);
        assertThat(response.message()).as(what).contains(message);
        RunningService.Response volume = service.call("GET", "/v1/volumes/v", service.key(), (String) null);
        assertThat(volume.body().path("headSeq").asLong()).as("nothing changed").isZero();
        assertThat(service.call("GET", "/v1/volumes", service.key(), (String) null).body().path("volumes")).hasSize(1);
    }

    @Test
    void refusesMissingAndUnknownKeys() {
        RunningService.Response none = service.call("GET", "/v1/volumes", null, (String) null);
        RunningService.Response wrong = service.call("GET", "/v1/volumes", "sk_wrong", (String) null);

        assertThat(none.status()).isEqualTo(401);
        assertThat(none.code()).isEqualTo("unauthorized");
        assertThat(none.message()).contains("Missing API key");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.message()).isEqualTo("Unknown API key");
    }

    @Test
    void keepsTheAdminKeyAndOrgKeysApart() {
        RunningService.Response adminOnVolumes = service.call("GET", "/v1/volumes", service.server.adminKey(), (String) null);
        RunningService.Response orgOnAdmin = service.call("POST", "/v1/admin/orgs", service.key(), "{\"name\":\"x\"}");

        assertThat(adminOnVolumes.status()).isEqualTo(403);
        assertThat(adminOnVolumes.code()).isEqualTo("forbidden");
        assertThat(orgOnAdmin.status()).isEqualTo(403);
        assertThat(orgOnAdmin.message()).contains("Only the admin key");
    }

    @Test
    void healthAndMetricsNeedNoKey() {
        assertThat(service.call("GET", "/healthz", null, (String) null).body().path("status").asText()).isEqualTo("ok");
        assertThat(service.text("/metrics")).contains("sail_http_requests", "sail_commits_total");
    }
}
