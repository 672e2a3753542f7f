package io.triggers.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A real HTTP server on loopback that records every request it gets and answers with a status the
 * test chooses: the webhook receiver of the tests.
 */
public final class WebhookReceiver implements AutoCloseable {

    /** One request as the receiver got it. Header names are lower case. */
    public record Received(String method, String path, Map<String, List<String>> headers, byte[] body, Instant receivedAt,
                           int clientPort) {

        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The headers as {@link java.net.http.HttpHeaders}, the type the Standard Webhooks library verifies. */
        public HttpHeaders httpHeaders() {
            return HttpHeaders.of(headers, (name, value) -> true);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile Function<Received, Integer> responder = request -> 200;
    private final Map<String, String> extraHeaders = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile byte[] answerBody;

    private WebhookReceiver(HttpServer server) {
        this.server = server;
    }

    /** Starts a receiver on 127.0.0.1 and an ephemeral port, answering 200 until told otherwise. */
    public static WebhookReceiver start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
            WebhookReceiver receiver = new WebhookReceiver(server);
            server.createContext("/", receiver::handle);
            server.setExecutor(receiver.executor);
            server.start();
            return receiver;
        } catch (IOException e) {
            throw new IllegalStateException("could not start the webhook receiver", e);
        }
    }

    /** Answer every later request with this status. */
    public WebhookReceiver respondWith(int status) {
        this.responder = request -> status;
        return this;
    }

    /** Decide each later request's status from the request. */
    public WebhookReceiver respondWith(Function<Received, Integer> responder) {
        this.responder = responder;
        return this;
    }

    /** Adds a header to every later answer (e.g. Retry-After). */
    public WebhookReceiver withHeader(String name, String value) {
        extraHeaders.put(name, value);
        return this;
    }

    /** Answers with this body from now on (instead of a small JSON acknowledgement). */
    public WebhookReceiver withBody(String text) {
        this.answerBody = text.getBytes(StandardCharsets.UTF_8);
        return this;
    }

    /** {@code http://127.0.0.1:<port><path>} */
    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** Everything received so far, in arrival order. */
    public List<Received> received() {
        return List.copyOf(received);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            Map<String, List<String>> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
            Received request = new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), headers, body, Instant.now(),
                    exchange.getRemoteAddress().getPort());
            received.add(request);
            int status = responder.apply(request);
            byte[] answer = answerBody != null ? answerBody : ("{\"received\":" + (status < 300) + "}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("content-type", "application/json");
            extraHeaders.forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
            if (status == 204) {
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            exchange.sendResponseHeaders(status, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
