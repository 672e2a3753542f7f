package io.triggers.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A DNS server on a loopback UDP port that answers A and AAAA questions from a table the test
 * sets (and may change while it runs, to play DNS rebinding), with a TTL of 0 so nothing is
 * cached; names not in the table are NXDOMAIN. Every question is recorded.
 */
public final class TestDnsServer implements AutoCloseable {

    private static final int TYPE_A = 1;
    private static final int TYPE_AAAA = 28;

    /** One question as received: the name (lower case, no trailing dot) and the record type (1 = A, 28 = AAAA). */
    public record Question(String name, int type) {
    }

    private final DatagramSocket socket;
    private final Map<String, List<InetAddress>> table = new ConcurrentHashMap<>();
    private final List<Question> questions = new CopyOnWriteArrayList<>();
    private final Thread thread;

    private TestDnsServer(DatagramSocket socket) {
        this.socket = socket;
        this.thread = new Thread(this::serve, "test-dns-" + socket.getLocalPort());
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts a server on 127.0.0.1 and an ephemeral UDP port. */
    public static TestDnsServer start() {
        try {
            return new TestDnsServer(new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        } catch (SocketException e) {
            throw new IllegalStateException("could not start the test DNS server", e);
        }
    }

    /** {@code 127.0.0.1:<port>}, as {@code triggers.delivery.dns-servers} takes it. */
    public String address() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    /** From now on, {@code name} has these addresses (IP literals, v4 and v6 mixed); none: NXDOMAIN. */
    public TestDnsServer answer(String name, String... addresses) {
        List<InetAddress> parsed = new ArrayList<>();
        for (String address : addresses) {
            try {
                parsed.add(InetAddress.getByName(address)); // literals only: no lookup
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(address, e);
            }
        }
        if (parsed.isEmpty()) {
            table.remove(key(name));
        } else {
            table.put(key(name), List.copyOf(parsed));
        }
        return this;
    }

    /** Every question asked so far, in order. */
    public List<Question> questions() {
        return List.copyOf(questions);
    }

    /** Whether {@code name} was asked about (any type). */
    public boolean wasAsked(String name) {
        return questions.stream().anyMatch(question -> question.name().equals(key(name)));
    }

    private static String key(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    private void serve() {
        byte[] buffer = new byte[4096];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
                byte[] answer = answer(ByteBuffer.wrap(packet.getData(), 0, packet.getLength()));
                if (answer != null) {
                    socket.send(new DatagramPacket(answer, answer.length, packet.getSocketAddress()));
                }
            } catch (IOException | RuntimeException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    /** The response to one query (RFC 1035 4.1): the question echoed, then the records of the table. */
    private byte[] answer(ByteBuffer query) {
        if (query.remaining() < 12) {
            return null;
        }
        int id = query.getShort() & 0xFFFF;
        int flags = query.getShort() & 0xFFFF;
        int questionCount = query.getShort() & 0xFFFF;
        query.position(12);
        if (questionCount != 1) {
            return null;
        }
        int questionStart = query.position();
        StringBuilder name = new StringBuilder();
        for (int length = query.get() & 0xFF; length > 0; length = query.get() & 0xFF) {
            byte[] label = new byte[length];
            query.get(label);
            name.append(name.length() == 0 ? "" : ".").append(new String(label, java.nio.charset.StandardCharsets.US_ASCII));
        }
        int type = query.getShort() & 0xFFFF;
        query.getShort(); // class
        int questionEnd = query.position();
        Question question = new Question(key(name.toString()), type);
        questions.add(question);

        List<InetAddress> known = table.get(question.name());
        List<byte[]> records = new ArrayList<>();
        if (known != null) {
            for (InetAddress address : known) {
                boolean v4 = address instanceof Inet4Address;
                if ((type == TYPE_A && v4) || (type == TYPE_AAAA && !v4)) {
                    records.add(address.getAddress());
                }
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(12);
        header.putShort((short) id);
        // QR, the query's opcode and RD, AA and RA; NXDOMAIN (3) for an unknown name.
        int responseFlags = 0x8000 | (flags & 0x7800) | 0x0400 | (flags & 0x0100) | 0x0080 | (known == null ? 3 : 0);
        header.putShort((short) responseFlags);
        header.putShort((short) 1);
        header.putShort((short) records.size());
        header.putShort((short) 0);
        header.putShort((short) 0);
        out.writeBytes(header.array());
        out.write(query.array(), query.arrayOffset() + questionStart, questionEnd - questionStart);
        for (byte[] address : records) {
            ByteBuffer record = ByteBuffer.allocate(12 + address.length);
            record.putShort((short) 0xC00C); // the name: a pointer to the question's
            record.putShort((short) type);
            record.putShort((short) 1);      // IN
            record.putInt(0);                // TTL: never cached
            record.putShort((short) address.length);
            record.put(address);
            out.writeBytes(record.array());
        }
        return out.toByteArray();
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
