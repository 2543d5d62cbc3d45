package dev.sail.volumes.benchmarks.harness;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.PresignedUrl;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The baselines' client: plain blocking {@link HttpURLConnection} PUTs and GETs of presigned URLs, a
 * fixed number at once, with nothing of the system under test in the way (no transfer engine, no
 * retries, bytes prepared before the clock starts). It sends the headers the service signed, so S3
 * does the same work as for our uploads; GETs hash what they receive, as every reader of ours must.
 * Stateless.
 */
final class RawTransfer {
    static {
        // Keep every connection of the pool alive between requests, as our engine does.
        if (System.getProperty("http.maxConnections") == null) {
            System.setProperty("http.maxConnections", "64");
        }
    }

    private RawTransfer() {
    }

    /** PUTs {@code bytes.get(url.id())} to every URL, {@code inFlight} at once; answers the seconds it took. */
    static double putAll(List<PresignedUrl> urls, Map<ChunkId, byte[]> bytes, int inFlight) throws Exception {
        long start = System.nanoTime();
        run(urls, inFlight, url -> {
            byte[] body = bytes.get(url.id());
            HttpURLConnection connection = open(url, "PUT");
            connection.setDoOutput(true);
            connection.setFixedLengthStreamingMode(body.length);
            connection.setRequestProperty("Content-Type", "application/octet-stream");
            try (OutputStream out = connection.getOutputStream()) {
                out.write(body);
            }
            check(connection, url);
            try (InputStream in = connection.getInputStream()) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            return (long) body.length;
        });
        return (System.nanoTime() - start) / 1e9;
    }

    /** GETs every URL, {@code inFlight} at once, hashing each body; answers the bytes received. Fails on a wrong hash. */
    static long getAll(List<PresignedUrl> urls, int inFlight) throws Exception {
        return run(urls, inFlight, url -> {
            HttpURLConnection connection = open(url, "GET");
            check(connection, url);
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[256 << 10];
            long received = 0;
            try (InputStream in = connection.getInputStream()) {
                for (int n; (n = in.read(buffer)) > 0; received += n) {
                    sha256.update(buffer, 0, n);
                }
            }
            if (!ChunkId.ofDigest(sha256.digest()).equals(url.id())) {
                throw new HarnessException("chunk " + url.id().abbreviated() + " came back with other bytes");
            }
            return received;
        });
    }

    /** Milliseconds from sending a GET of {@code url} to its first body byte. */
    static double firstByte(PresignedUrl url) throws IOException {
        long start = System.nanoTime();
        HttpURLConnection connection = open(url, "GET");
        check(connection, url);
        try (InputStream in = connection.getInputStream()) {
            if (in.read() < 0) {
                throw new HarnessException("chunk " + url.id().abbreviated() + " has no bytes");
            }
            double millis = (System.nanoTime() - start) / 1e6;
            in.transferTo(OutputStream.nullOutputStream());
            return millis;
        }
    }

    private interface Request {
        long send(PresignedUrl url) throws Exception;
    }

    private static long run(List<PresignedUrl> urls, int inFlight, Request request) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(inFlight)) {
            List<Future<Long>> sent = new ArrayList<>();
            for (PresignedUrl url : urls) {
                sent.add(pool.submit(() -> request.send(url)));
            }
            long total = 0;
            for (Future<Long> future : sent) {
                total += future.get();
            }
            return total;
        }
    }

    private static HttpURLConnection open(PresignedUrl url, String method) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) url.url().toURL().openConnection(Proxy.NO_PROXY);
        connection.setRequestMethod(method);
        url.headers().forEach((name, value) -> {
            if (!name.toLowerCase(Locale.ROOT).equals("content-length")) {
                connection.setRequestProperty(name, value);
            }
        });
        return connection;
    }

    private static void check(HttpURLConnection connection, PresignedUrl url) throws IOException {
        int status = connection.getResponseCode();
        if (status / 100 != 2) {
            throw new HarnessException("the " + connection.getRequestMethod() + " of chunk " + url.id().abbreviated()
                    + " answered HTTP " + status);
        }
    }
}
