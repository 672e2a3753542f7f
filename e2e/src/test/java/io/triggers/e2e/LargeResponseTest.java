package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A receiver that answers 200 and then streams a 100 MiB body: the worker reads 64 KiB of it,
 * closes the connection, and records the attempt with a 1 KiB excerpt.
 *
 * <p>What is measured is what the receiver managed to write before the worker closed the
 * connection: the bytes the worker read plus what the kernels held in between. So the bound is
 * <ul>
 * <li>64 KiB, where the worker stops reading the body;</li>
 * <li>plus one more read from the socket (at most 64 KiB, Netty's largest read buffer), whose bytes
 *     past the limit Netty had already taken when the body was cancelled;</li>
 * <li>plus the kernels' buffers: the receiver's send buffer and the worker's receive buffer (which
 *     the worker fixes at 64 KiB), measured on this machine in the same test as what the receiver can
 *     write to a client with the same receive buffer that never reads.</li>
 * </ul>
 * Without the limit the receiver writes all 100 MiB.
 */
class LargeResponseTest {

    private static final long HUNDRED_MIB = 100L * 1024 * 1024;
    private static final int CHUNK = 8 * 1024;
    private static final int SEND_BUFFER = 16 * 1024;

    /** Answers every connection with 200 and a chunked body of up to 100 MiB, counting what it writes. */
    private static final class StreamingReceiver implements AutoCloseable {

        final ServerSocket server;
        final AtomicInteger connections = new AtomicInteger();
        final AtomicLong written = new AtomicLong();
        final CountDownLatch cutOff = new CountDownLatch(1);
        private final Thread thread;

        StreamingReceiver() throws IOException {
            server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            thread = new Thread(this::serve, "streaming-receiver");
            thread.setDaemon(true);
            thread.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort() + "/stream";
        }

        private void serve() {
            while (!server.isClosed()) {
                try (Socket socket = server.accept()) {
                    connections.incrementAndGet();
                    socket.setSendBufferSize(SEND_BUFFER);
                    readRequest(socket.getInputStream());
                    OutputStream out = socket.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = ("2000\r\n" + "y".repeat(CHUNK) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                    try {
                        while (written.get() < HUNDRED_MIB) {
                            out.write(chunk);
                            written.addAndGet(CHUNK);
                        }
                        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException closedByTheWorker) {
                        cutOff.countDown();
                    }
                } catch (IOException e) {
                    // closed
                }
            }
        }

        /** Reads the request line and headers, then as many body bytes as Content-Length says. */
        private static void readRequest(InputStream in) throws IOException {
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int next = in.read();
                if (next < 0) {
                    throw new IOException("request cut short");
                }
                head.append((char) next);
            }
            int length = 0;
            for (String line : head.toString().split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring("content-length:".length()).trim());
                }
            }
            in.readNBytes(length);
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    @Test
    void aReceiverStreaming100MibCostsTheWorkerAt64KibAndTheAttemptKeepsAKib() throws Exception {
        long buffering = bufferingAllowance();
        try (StreamingReceiver receiver = new StreamingReceiver();
             RunningService service = RunningService.start(Map.of("triggers.delivery.retry-schedule", "1h"))) {
            String key = service.newOrganizationKey("streaming");
            service.newEndpoint(key, receiver.url());
            String eventId = service.ingest(key);

            await().atMost(Duration.ofSeconds(20)).until(() -> "delivered".equals(service.eventStatus(eventId)));
            assertThat(receiver.cutOff.await(10, TimeUnit.SECONDS)).as("the worker closed the connection").isTrue();
            long written = receiver.written.get();
            System.out.printf("LargeResponseTest: receiver wrote %d bytes before the worker closed; buffering allowance %d%n",
                    written, buffering);
            assertThat(written).isLessThanOrEqualTo(64 * 1024 + 64 * 1024 + buffering);

            try (Connection db = service.jdbc();
                 PreparedStatement query = db.prepareStatement(
                         "SELECT status_code, octet_length(response_excerpt), response_excerpt FROM delivery_attempts WHERE event_id = ?")) {
                query.setObject(1, UUID.fromString(eventId));
                try (ResultSet row = query.executeQuery()) {
                    assertThat(row.next()).isTrue();
                    assertThat(row.getInt(1)).isEqualTo(200);
                    assertThat(row.getInt(2)).isEqualTo(1024);
                    assertThat(row.getString(3)).isEqualTo("y".repeat(1024));
                    assertThat(row.next()).isFalse();
                }
            }

            // The cut-off connection was not pooled: the next delivery opens a new one.
            String next = service.ingest(key);
            await().atMost(Duration.ofSeconds(20)).until(() -> "delivered".equals(service.eventStatus(next)));
            assertThat(receiver.connections.get()).isEqualTo(2);
        }
    }

    /**
     * What the kernels on this machine buffer between a receiver with a {@link #SEND_BUFFER} send
     * buffer and a client with the worker's 64 KiB receive buffer that never reads: written with
     * non-blocking writes until they write nothing.
     */
    private static long bufferingAllowance() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             SocketChannel client = SocketChannel.open()) {
            client.socket().setReceiveBufferSize(64 * 1024);
            client.connect(server.getLocalAddress());
            try (SocketChannel accepted = server.accept()) {
                return fill(accepted);
            }
        }
    }

    private static long fill(SocketChannel accepted) throws IOException {
        accepted.socket().setSendBufferSize(SEND_BUFFER);
        accepted.configureBlocking(false);
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
        long total = 0;
        int idle = 0;
        // A write of nothing means both buffers are full; a few more tries let any window update arrive.
        while (idle < 1000) {
            chunk.clear();
            int wrote = accepted.write(chunk);
            total += wrote;
            idle = wrote == 0 ? idle + 1 : 0;
        }
        return total;
    }
}
