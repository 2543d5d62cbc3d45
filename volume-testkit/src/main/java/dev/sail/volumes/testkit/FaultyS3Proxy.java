package dev.sail.volumes.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small HTTP/1.1 proxy on {@code 127.0.0.1} in front of an S3 server that injects faults by rule:
 * 500 {@code InternalError}, 503 {@code SlowDown}, a delay (to trip client timeouts), a connection
 * reset, and a lost answer (the request reaches S3 and lands, the client gets a reset instead of the
 * answer). Everything else is forwarded byte for byte, with the {@code Host} header untouched, so SigV4
 * signatures made for the proxy's endpoint verify at the S3 server behind it. Point the service's S3
 * endpoint at {@link #endpoint()} and its presigned URLs point here too.
 *
 * <pre>{@code
 * try (FaultyS3Proxy proxy = FaultyS3Proxy.start(s3.endpoint())) {
 *     proxy.inject(FaultyS3Proxy.Rule.on("PUT", FaultyS3Proxy.Fault.SLOW_DOWN).times(2));
 * }
 * }</pre>
 *
 * One request per connection (it answers {@code Connection: close}). Rules apply in the order added;
 * a request takes the first rule that matches and still has a count left. Thread-safe; {@link #close()}
 * stops accepting and drops open connections, and is safe to call twice.
 */
public final class FaultyS3Proxy implements AutoCloseable {
    /** What a matching request suffers. */
    public enum Fault {
        /** Answered at once with 500 {@code InternalError}; S3 never sees it. */
        INTERNAL_ERROR,
        /** Answered at once with 503 {@code SlowDown}; S3 never sees it. */
        SLOW_DOWN,
        /** Held for the rule's delay, then forwarded (it may land after the client gave up). */
        DELAY,
        /** The connection is reset once the request is read; S3 never sees it. */
        RESET,
        /** Forwarded and answered by S3, but the client gets a reset instead of the answer. */
        LOSE_ANSWER
    }

    /**
     * Which requests a fault hits: {@code method} ({@code "*"} for any) and a path fragment ({@code ""}
     * for any), at most {@code times} requests ({@code -1}: every one).
     */
    public record Rule(String method, String pathContains, Fault fault, int times, Duration delay) {
        public Rule {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(pathContains, "pathContains");
            Objects.requireNonNull(fault, "fault");
            Objects.requireNonNull(delay, "delay");
            if (times < -1 || times == 0) {
                throw new IllegalArgumentException("A rule applies to -1 (every) or at least 1 request, got " + times);
            }
        }

        /** Every {@code method} request suffers {@code fault}; narrow it with {@link #times} and {@link #onPath}. */
        public static Rule on(String method, Fault fault) {
            return new Rule(method, "", fault, -1, Duration.ofSeconds(5));
        }

        public Rule times(int count) {
            return new Rule(method, pathContains, fault, count, delay);
        }

        public Rule onPath(String fragment) {
            return new Rule(method, fragment, fault, times, delay);
        }

        public Rule delay(Duration hold) {
            return new Rule(method, pathContains, fault, times, hold);
        }

        boolean matches(String requestMethod, String path) {
            return ("*".equals(method) || method.equalsIgnoreCase(requestMethod)) && path.contains(pathContains);
        }
    }

    private record ActiveRule(Rule rule, AtomicInteger left) {
    }

    private final URI upstream;
    private final ServerSocket server;
    private final URI endpoint;
    private final ExecutorService connections = Executors.newVirtualThreadPerTaskExecutor();
    private final List<ActiveRule> rules = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
    private final Map<Fault, AtomicLong> injected = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean closed;

    private FaultyS3Proxy(URI upstream) throws IOException {
        this.upstream = upstream;
        this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        this.endpoint = URI.create("http://127.0.0.1:" + server.getLocalPort());
        Thread.ofVirtual().name("faulty-s3-accept").start(this::acceptLoop);
    }

    /** A proxy on {@code 127.0.0.1} and a free port forwarding to {@code upstream} ({@code http://host:port}). */
    public static FaultyS3Proxy start(URI upstream) {
        try {
            return new FaultyS3Proxy(upstream);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the fault-injecting S3 proxy", e);
        }
    }

    /** {@code http://127.0.0.1:<port>}: use it as the S3 endpoint (path-style). */
    public URI endpoint() {
        return endpoint;
    }

    /** Adds a rule after the existing ones. */
    public void inject(Rule rule) {
        rules.add(new ActiveRule(rule, new AtomicInteger(rule.times())));
    }

    /** Removes every rule: from now on everything is forwarded. */
    public void clearFaults() {
        rules.clear();
    }

    /** How many requests with this method reached the proxy (faulted or not). */
    public long requests(String method) {
        AtomicLong count = requests.get(method.toUpperCase(Locale.ROOT));
        return count == null ? 0 : count.get();
    }

    /** How many times {@code fault} was applied. */
    public long injected(Fault fault) {
        AtomicLong count = injected.get(fault);
        return count == null ? 0 : count.get();
    }

    /** Connections in progress (client side): zero once every delayed or forwarded request has finished. */
    public int connectionsInFlight() {
        return inFlight.get();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // Closing a listening socket fails only if it is already closed.
        }
        for (Socket socket : open) {
            closeQuietly(socket);
        }
        connections.shutdownNow();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                open.add(client);
                inFlight.incrementAndGet();
                connections.submit(() -> serve(client));
            } catch (IOException e) {
                if (!closed) {
                    continue; // one failed accept does not stop the proxy
                }
                return;
            } catch (RuntimeException e) {
                return; // the executor was shut down by close()
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = new BufferedInputStream(client.getInputStream());
            Head head = Head.read(in);
            if (head == null) {
                return;
            }
            requests.computeIfAbsent(head.method(), m -> new AtomicLong()).incrementAndGet();
            Rule rule = take(head);
            if (rule == null) {
                forward(head, in, client, false);
                return;
            }
            injected.computeIfAbsent(rule.fault(), f -> new AtomicLong()).incrementAndGet();
            switch (rule.fault()) {
                case INTERNAL_ERROR -> answer(head, in, client, 500, "Internal Server Error", "InternalError",
                        "We encountered an internal error. Please try again.");
                case SLOW_DOWN -> answer(head, in, client, 503, "Slow Down", "SlowDown", "Please reduce your request rate.");
                case RESET -> {
                    drain(in, head.contentLength());
                    reset(client);
                }
                case DELAY -> {
                    Thread.sleep(rule.delay());
                    forward(head, in, client, false);
                }
                case LOSE_ANSWER -> forward(head, in, client, true);
            }
        } catch (IOException e) {
            // The client or S3 went away: nothing to answer.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(client);
            inFlight.decrementAndGet();
        }
    }

    private Rule take(Head head) {
        for (ActiveRule active : rules) {
            if (!active.rule().matches(head.method(), head.path())) {
                continue;
            }
            if (active.rule().times() == -1) {
                return active.rule();
            }
            if (active.left().getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                return active.rule();
            }
        }
        return null;
    }

    private void forward(Head head, InputStream in, Socket client, boolean loseAnswer) throws IOException {
        try (Socket s3 = new Socket()) {
            s3.connect(new InetSocketAddress(upstream.getHost(), upstream.getPort()), 10_000);
            open.add(s3);
            try {
                OutputStream toS3 = s3.getOutputStream();
                toS3.write(head.forwardedBytes());
                if (head.chunked()) {
                    // A body of unknown length: pump it while the answer comes back.
                    Thread.ofVirtual().start(() -> {
                        try {
                            in.transferTo(toS3);
                        } catch (IOException e) {
                            // the exchange ended
                        }
                    });
                } else {
                    copy(in, toS3, head.contentLength());
                }
                toS3.flush();
                if (loseAnswer) {
                    s3.getInputStream().transferTo(OutputStream.nullOutputStream());
                    reset(client);
                    return;
                }
                s3.getInputStream().transferTo(client.getOutputStream());
                client.getOutputStream().flush();
            } finally {
                open.remove(s3);
            }
        }
    }

    private static void answer(Head head, InputStream in, Socket client, int status, String reason, String code, String message)
            throws IOException {
        drain(in, head.contentLength());
        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + message
                + "</Message></Error>").getBytes(StandardCharsets.UTF_8);
        String answerHead = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: application/xml\r\nContent-Length: "
                + body.length + "\r\nConnection: close\r\n\r\n";
        OutputStream out = client.getOutputStream();
        out.write(answerHead.getBytes(StandardCharsets.US_ASCII));
        if (!"HEAD".equals(head.method())) {
            out.write(body);
        }
        out.flush();
    }

    private static void drain(InputStream in, long length) throws IOException {
        copy(in, OutputStream.nullOutputStream(), length);
    }

    private static void copy(InputStream in, OutputStream out, long length) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException("The request body ended " + left + " bytes early");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    /** An abortive close: the peer sees "connection reset", not an orderly end. */
    private static void reset(Socket socket) throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already gone
        }
    }

    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "upgrade", "http2-settings", "te");

    /** A request line and its headers. */
    private record Head(String method, String path, long contentLength, boolean chunked, byte[] forwardedBytes) {
        /** Reads up to the blank line; null when the connection closed before a request. */
        static Head read(InputStream in) throws IOException {
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            int last4 = 0;
            while (last4 != 0x0d0a0d0a) {
                int b = in.read();
                if (b < 0) {
                    return null;
                }
                raw.write(b);
                last4 = (last4 << 8) | b;
                if (raw.size() > 64 * 1024) {
                    throw new IOException("Request head over 64 KiB");
                }
            }
            String[] lines = raw.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            String[] requestLine = lines[0].split(" ");
            if (requestLine.length < 3) {
                throw new IOException("Malformed request line");
            }
            long contentLength = 0;
            boolean chunked = false;
            List<String> kept = new ArrayList<>();
            kept.add(lines[0]);
            for (int i = 1; i < lines.length; i++) {
                String line = lines[i];
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> contentLength = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                    default -> {
                    }
                }
                // Hop-by-hop headers (an h2c upgrade offer included) are the proxy's own business; none is signed.
                if (!HOP_BY_HOP.contains(name)) {
                    kept.add(line);
                }
            }
            kept.add("Connection: close");
            byte[] forwarded = (String.join("\r\n", kept) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
            return new Head(requestLine[0].toUpperCase(Locale.ROOT), requestLine[1], contentLength, chunked, forwarded);
        }
    }
}
