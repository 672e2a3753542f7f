package io.triggers.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP/1.1 requests written byte for byte on a plain socket. {@code java.net.http} refuses or
 * rewrites some request targets ({@code ;}, {@code %2F}, {@code //}, {@code ..}); here the target
 * goes out exactly as given, as an attacker would send it.
 */
final class RawHttp {

    private static final Pattern STATUS = Pattern.compile("^HTTP/1\\.1 (\\d{3})");
    private static final Pattern CODE = Pattern.compile("\"code\"\\s*:\\s*\"([A-Z_]+)\"");

    /** The answer: its status, and the error code of its body when it has one. */
    record Response(int status, String code, String text) {
    }

    private RawHttp() {
    }

    /** Everything the server sent until it closed; a reset after the answer arrived still counts as the answer. */
    private static String readAnswer(InputStream in) throws IOException {
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            int count;
            while ((count = in.read(buffer)) >= 0) {
                read.write(buffer, 0, count);
            }
        } catch (SocketException e) {
            if (read.size() == 0) {
                throw e;
            }
        }
        return read.toString(StandardCharsets.UTF_8);
    }

    /** The answer's status and error code, or a failure naming the request when there is no HTTP answer. */
    private static Response parse(String text, String request) {
        Matcher status = STATUS.matcher(text);
        if (!status.find()) {
            throw new IllegalStateException("no HTTP answer to " + request + ": " + text);
        }
        Matcher code = CODE.matcher(text);
        return new Response(Integer.parseInt(status.group(1)), code.find() ? code.group(1) : null, text);
    }

    /**
     * Sends only a request's head, announcing {@code contentLength} bytes of JSON body, and reads
     * the answer without ever sending the body: for answers the server must give before reading it.
     */
    static Response answerBeforeBody(int port, String method, String target, String bearer, long contentLength) {
        return answerBeforeBody(port, method, target, bearer, contentLength, Map.of());
    }

    static Response answerBeforeBody(int port, String method, String target, String bearer, long contentLength,
                                     Map<String, String> headers) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(30_000);
            StringBuilder extra = new StringBuilder();
            headers.forEach((name, value) -> extra.append(name).append(": ").append(value).append("\r\n"));
            String head = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n"
                    + "Authorization: Bearer " + bearer + "\r\nContent-Type: application/json\r\nContent-Length: " + contentLength
                    + "\r\n" + extra + "\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String text = readAnswer(socket.getInputStream());
            return parse(text, method + " " + target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Response send(int port, String method, String target, String bearer, String body) {
        return send(port, method, target, bearer, body, Map.of());
    }

    static Response send(int port, String method, String target, String bearer, String body, Map<String, String> headers) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(30_000);
            byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            StringBuilder headText = new StringBuilder()
                    .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                    .append("Host: 127.0.0.1:").append(port).append("\r\n")
                    .append("Connection: close\r\n");
            if (bearer != null) {
                headText.append("Authorization: Bearer ").append(bearer).append("\r\n");
            }
            headers.forEach((name, value) -> headText.append(name).append(": ").append(value).append("\r\n"));
            if (body != null) {
                headText.append("Content-Type: application/json\r\nContent-Length: ").append(content.length).append("\r\n");
            }
            headText.append("\r\n");
            // Head and body in one write, as most clients send a small request (the server reads a body it
            // answers early before it closes the connection: UnreadBodies, EarlyAnswersTest).
            byte[] head = headText.toString().getBytes(StandardCharsets.ISO_8859_1);
            byte[] request = new byte[head.length + content.length];
            System.arraycopy(head, 0, request, 0, head.length);
            System.arraycopy(content, 0, request, head.length, content.length);
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            String text = readAnswer(socket.getInputStream());
            return parse(text, method + " " + target);
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + target + " failed", e);
        }
    }

    /**
     * Sends a request's head, then a JSON body of {@code bodyBytes} bytes in 64 KiB writes (as
     * chunks when {@code chunked}), as a client that writes its whole request before reading does,
     * then reads the answer. Fails if a write fails: the server reset the connection under a body
     * it did not read, and the answer it may have sent was then lost to clients that read late.
     */
    static Response sendLargeBody(int port, String target, String bearer, long bodyBytes, boolean chunked) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(30_000);
            StringBuilder head = new StringBuilder("POST ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1:").append(port)
                    .append("\r\nConnection: close\r\nContent-Type: application/json\r\n");
            if (bearer != null) {
                head.append("Authorization: Bearer ").append(bearer).append("\r\n");
            }
            head.append(chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + bodyBytes + "\r\n").append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            byte[] piece = new byte[64 * 1024];
            java.util.Arrays.fill(piece, (byte) ' ');
            piece[0] = '[';
            long left = bodyBytes;
            while (left > 0) {
                int size = (int) Math.min(piece.length, left);
                if (chunked) {
                    out.write((Integer.toHexString(size) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                }
                out.write(piece, 0, size);
                if (chunked) {
                    out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                }
                piece[0] = ' ';
                left -= size;
            }
            if (chunked) {
                out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            out.flush();
            String text = readAnswer(socket.getInputStream());
            return parse(text, "POST " + target);
        } catch (IOException e) {
            throw new IllegalStateException("POST " + target + " with " + bodyBytes + " bytes failed", e);
        }
    }
}
