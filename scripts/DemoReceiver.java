import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.LocalTime;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The run script's demo webhook receiver: prints every webhook it gets and checks its Standard
 * Webhooks signature with the secret in the file given as second argument (read per request, so
 * the script can write it after creating the endpoint). Run with: java scripts/DemoReceiver.java PORT SECRET_FILE
 */
public final class DemoReceiver {

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        Path secretFile = Path.of(args[1]);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        server.createContext("/", exchange -> handle(exchange, secretFile));
        server.start();
        System.out.println("[receiver] listening on http://127.0.0.1:" + port + "/webhooks");
    }

    private static void handle(HttpExchange exchange, Path secretFile) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            String id = exchange.getRequestHeaders().getFirst("webhook-id");
            String timestamp = exchange.getRequestHeaders().getFirst("webhook-timestamp");
            String signatures = exchange.getRequestHeaders().getFirst("webhook-signature");
            System.out.printf("[receiver] %s webhook %s, signature %s%n  %s%n", LocalTime.now(), id,
                    verified(secretFile, id, timestamp, signatures, body) ? "valid" : "INVALID",
                    new String(body, StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
        }
    }

    private static boolean verified(Path secretFile, String id, String timestamp, String signatures, byte[] body) {
        try {
            String secret = Files.readString(secretFile).trim();
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            byte[] expected = ("v1," + Base64.getEncoder().encodeToString(mac.doFinal(body))).getBytes(StandardCharsets.UTF_8);
            for (String signature : signatures.split(" ")) {
                if (MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.UTF_8))) {
                    return true;
                }
            }
            return false;
        } catch (Exception e) {
            return false;
        }
    }
}
