package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.web.BodyTimeouts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.io.ClassPathResource;

/**
 * A client cannot hold a connection by being slow: one that sends nothing, stops in the middle of
 * its headers or body, or trickles them, is disconnected once the server's timeouts pass (here
 * configured short: idle 1 s, 1 s between two reads of a body, 2 s for a whole body).
 */
class SlowClientTest {

    /** Well past the configured timeouts; a connection still open then is being held. */
    private static final Duration HELD = Duration.ofSeconds(6);

    private static RunningApi api;
    private static String key;

    @BeforeAll
    static void start() {
        api = RunningApi.start(Map.of(
                "server.netty.idle-timeout", "1s",
                "triggers.api.body-read-timeout", "1s",
                "triggers.api.body-timeout", "2s"));
        key = api.newUnlimitedOrganizationKey("slow");
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void aConnectionThatSendsNothingIsClosed() throws Exception {
        try (Socket socket = connect()) {
            assertClosedWithin(socket, Duration.ofSeconds(4), null);
        }
    }

    @Test
    void headersThatStopHalfwayAreNotWaitedFor() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty");
            assertClosedWithin(socket, Duration.ofSeconds(4), null);
        }
    }

    @Test
    void headersTrickledByteByByteDoNotKeepTheConnection() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            // One more header byte every 200 ms: never idle by the byte, never a whole request.
            assertClosedWithin(socket, Duration.ofSeconds(4), "X");
        }
    }

    @Test
    void aBodyThatStopsHalfwayIsNotWaitedFor() throws Exception {
        try (Socket socket = connect()) {
            send(socket, head(1000) + "{\"event_type\":\"half\",");
            String answer = assertClosedWithin(socket, Duration.ofSeconds(4), null);
            // Not stored; if answered at all, as the caller's fault (the status line, not the body: a
            // request id can hold "201").
            assertThat(answer).doesNotStartWith("HTTP/1.1 201").doesNotStartWith("HTTP/1.1 500");
        }
    }

    @Test
    void aBodyTrickledSlowerThanTheWholeBodyTimeoutIsCut() throws Exception {
        try (Socket socket = connect()) {
            send(socket, head(1000) + "{\"event_type\":\"slow\",\"payload\":\"");
            // A byte every 200 ms is well within the 1 s between reads; the 2 s for the whole body ends it.
            String answer = assertClosedWithin(socket, Duration.ofSeconds(5), "x");
            assertThat(answer).doesNotStartWith("HTTP/1.1 201").doesNotStartWith("HTTP/1.1 500");
        }
    }

    @Test
    void anOrdinaryRequestOnTheSameServerIsServed() {
        assertThat(api.send("POST", "/v1/events", key, "{\"event_type\":\"quick\",\"payload\":1}", Map.of()).status())
                .isEqualTo(201);
    }

    @Test
    void theShippedSettingsBoundEveryWait() throws IOException {
        Binder shipped = new Binder(ConfigurationPropertySources.from(
                new YamlPropertySourceLoader().load("triggers-api.yml", new ClassPathResource("triggers-api.yml"))));
        assertThat(shipped.bind("server.netty.idle-timeout", Duration.class).get()).isEqualTo(Duration.ofSeconds(75));
        BodyTimeouts timeouts = shipped.bindOrCreate("triggers.api", BodyTimeouts.class);
        assertThat(timeouts.bodyReadTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(timeouts.bodyTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(new Binder().bindOrCreate("triggers.api", BodyTimeouts.class)).as("the defaults without the file").isEqualTo(timeouts);
    }

    private static String head(int contentLength) {
        return "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json\r\nContent-Length: " + contentLength + "\r\n\r\n";
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), api.port());
        socket.setSoTimeout((int) HELD.toMillis());
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /**
     * Waits for the server to close the connection (what it answered before, if anything, is
     * returned), trickling {@code trickle} every 200 ms meanwhile when given; fails if the
     * connection is still open after {@code within}.
     */
    private static String assertClosedWithin(Socket socket, Duration within, String trickle) throws Exception {
        long started = System.nanoTime();
        CompletableFuture<String> closed = CompletableFuture.supplyAsync(() -> readToTheEnd(socket));
        while (trickle != null && !closed.isDone() && System.nanoTime() - started < HELD.toNanos()) {
            try {
                send(socket, trickle);
            } catch (IOException e) {
                break;
            }
            Thread.sleep(200); // the client's pace is what is under test, not a wait for a condition
        }
        String answer = closed.get();
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(answer).as("the server kept the connection open").doesNotContain("STILL OPEN");
        assertThat(took).as("time until the server closed the connection").isLessThan(within);
        return answer;
    }

    private static String readToTheEnd(Socket socket) {
        StringBuilder read = new StringBuilder();
        byte[] buffer = new byte[4096];
        try {
            InputStream in = socket.getInputStream();
            int count;
            while ((count = in.read(buffer)) >= 0) {
                read.append(new String(buffer, 0, count, StandardCharsets.ISO_8859_1));
            }
            return read.toString();
        } catch (java.net.SocketTimeoutException e) {
            return read + "STILL OPEN";
        } catch (IOException e) {
            // A reset is a close too.
            return read.toString();
        }
    }
}
