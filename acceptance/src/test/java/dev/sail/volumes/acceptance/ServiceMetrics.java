package dev.sail.volumes.acceptance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One scrape of the service's {@code GET /metrics} (Prometheus text): the service's own account of what
 * it served, independent of the guest code under test.
 */
record ServiceMetrics(Map<String, Double> samples) {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{.*\\})? ([-+0-9.eE]+|NaN)$");

    ServiceMetrics {
        samples = Map.copyOf(samples);
    }

    static ServiceMetrics scrape(URI baseUrl) {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(baseUrl.resolve("/metrics")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET /metrics answered " + response.statusCode());
            }
            Map<String, Double> samples = new HashMap<>();
            for (String line : response.body().lines().toList()) {
                Matcher m = SAMPLE.matcher(line);
                if (!line.startsWith("#") && m.matches()) {
                    samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3)));
                }
            }
            return new ServiceMetrics(samples);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot scrape the service's metrics", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while scraping metrics", e);
        }
    }

    /** The sum over every sample of {@code name} whose labels contain each of {@code labelFragments} (e.g. {@code route="/v1/volumes/{name}/list"}). */
    double sum(String name, String... labelFragments) {
        double total = 0;
        for (Map.Entry<String, Double> sample : samples.entrySet()) {
            String key = sample.getKey();
            if (!key.equals(name) && !key.startsWith(name + "{")) {
                continue;
            }
            boolean matches = true;
            for (String fragment : labelFragments) {
                matches &= key.contains(fragment);
            }
            if (matches) {
                total += sample.getValue();
            }
        }
        return total;
    }

    /** HTTP requests the service answered (any route, or those whose labels contain {@code labelFragments}). */
    long requests(String... labelFragments) {
        return (long) sum("sail_http_requests_seconds_count", labelFragments);
    }

    /** What happened between {@code before} and this scrape, per sample. */
    ServiceMetrics since(ServiceMetrics before) {
        Map<String, Double> delta = new HashMap<>();
        samples.forEach((key, value) -> delta.put(key, value - before.samples.getOrDefault(key, 0.0)));
        return new ServiceMetrics(delta);
    }
}
