package io.triggers.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP proxy in front of a real server (PostgreSQL, Redis) that a test can cut, to see
 * what the apps do when the server goes away, and restore. While cut, open connections are
 * closed and new ones are accepted and closed at once, as a server that just died would look to
 * its clients; {@link #hang()} instead keeps connections open but passes nothing, like a network
 * that stopped answering.
 */
public final class TcpProxy implements AutoCloseable {

    private enum Mode { FORWARD, CUT, HANG }

    private final String targetHost;
    private final int targetPort;
    private final ServerSocket listener;
    private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "tcp-proxy");
        thread.setDaemon(true);
        return thread;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicLong bytesToServer = new AtomicLong();
    private volatile Mode mode = Mode.FORWARD;

    public TcpProxy(String targetHost, int targetPort) {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        try {
            listener = new ServerSocket();
            listener.setReuseAddress(true);
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a proxy port", e);
        }
        threads.execute(this::acceptLoop);
    }

    public int port() {
        return listener.getLocalPort();
    }

    public String host() {
        return listener.getInetAddress().getHostAddress();
    }

    /** How many client connections the proxy has accepted so far. */
    public int acceptedConnections() {
        return accepted.get();
    }

    /**
     * Bytes the clients have sent on to the server so far. Counted as they are forwarded, so a
     * statement sent to PostgreSQL shows here before its answer reaches the client: a test can tell
     * that a request caused no query at all.
     */
    public long bytesToServer() {
        return bytesToServer.get();
    }

    /** Closes every open connection and refuses service until {@link #restore()}. */
    public void cut() {
        mode = Mode.CUT;
        closeAll();
    }

    /** Keeps connections open but forwards nothing, in either direction, until {@link #restore()}. */
    public void hang() {
        mode = Mode.HANG;
    }

    /** Forwards again; connections held during a hang are closed, so clients reconnect cleanly. */
    public void restore() {
        Mode before = mode;
        mode = Mode.FORWARD;
        if (before == Mode.HANG) {
            closeAll();
        }
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            if (mode == Mode.CUT) {
                closeQuietly(client);
                continue;
            }
            open.add(client);
            threads.execute(() -> connect(client));
        }
    }

    private void connect(Socket client) {
        Socket server = new Socket();
        try {
            server.connect(new InetSocketAddress(targetHost, targetPort), 2000);
        } catch (IOException e) {
            closeQuietly(client);
            open.remove(client);
            return;
        }
        open.add(server);
        threads.execute(() -> pump(client, server, bytesToServer));
        pump(server, client, new AtomicLong());
    }

    private void pump(Socket from, Socket to, AtomicLong forwarded) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                if (mode == Mode.FORWARD) {
                    forwarded.addAndGet(read);
                    out.write(buffer, 0, read);
                    out.flush();
                } else if (mode == Mode.CUT) {
                    break;
                }
                // HANG: what arrives is dropped, and nothing is answered.
            }
        } catch (IOException e) {
            // One side closed: close the other too.
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }
    }

    private void closeAll() {
        for (Socket socket : open) {
            closeQuietly(socket);
        }
        open.clear();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException ignored) {
            // Already closed.
        }
        closeAll();
        threads.shutdownNow();
    }
}
