import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in OpenTelemetry collector for the tracing benchmark: accepts OTLP/HTTP exports on
 * {@code /v1/traces} and throws them away, counting requests and bytes (printed on exit). Its CPU is
 * not the apps': the benchmark counts it apart. Run: java bench/OtlpSink.java PORT
 */
public final class OtlpSink {

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        AtomicLong requests = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
        server.createContext("/v1/traces", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                bytes.addAndGet(body.readAllBytes().length);
                requests.incrementAndGet();
                exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, -1);
            } finally {
                exchange.close();
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(2));
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
                System.out.println("otlp-sink: " + requests.get() + " exports, " + bytes.get() + " bytes")));
        server.start();
        System.out.println("otlp-sink: listening on 127.0.0.1:" + port);
    }
}
