package dev.sail.volumes.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sail.volumes.manifest.ManifestException;
import dev.sail.volumes.manifest.WireCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Raw HTTP against the service API, for what the typed client refuses to send. Thread-safe. */
final class RawApi implements AutoCloseable {
    /** Bodies above this many bytes are sent with {@code Expect: 100-continue}. */
    private static final int EXPECT_CONTINUE_ABOVE = 1 << 20;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;

    RawApi(URI base) {
        this.base = base;
    }

    /** A status and the body as text, and as JSON when it parses (else null). */
    record Response(int status, String text, JsonNode json) {
        String code() {
            return json == null ? "" : json.path("error").path("code").asText();
        }

        String message() {
            return json == null ? "" : json.path("error").path("message").asText();
        }

        /** True for {@code {"error":{"code":"...","message":"..."}}} with both texts non-empty. */
        boolean isErrorJson() {
            return json != null && json.path("error").path("code").isTextual() && !code().isEmpty()
                    && json.path("error").path("message").isTextual() && !message().isEmpty();
        }
    }

    Response call(String method, String path, String key, String body) {
        return call(method, path, key, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    Response call(String method, String path, String key, byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
            // A big body waits for the server's go-ahead, as a careful client does: a server that refuses it
            // (413) answers at once and closes, and a client still sending would see a broken pipe, not the answer.
            request.expectContinue(body.length > EXPECT_CONTINUE_ABOVE);
        }
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            String text = new String(response.body(), StandardCharsets.UTF_8);
            JsonNode json;
            try {
                json = response.body().length == 0 ? null : WireCodec.parse(response.body());
            } catch (ManifestException e) {
                json = null;
            }
            return new Response(response.statusCode(), text, json);
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
