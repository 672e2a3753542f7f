package io.triggers.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import redis.embedded.core.ExecutableProvider;

/**
 * A real Redis server process, from the binary in codemonstur's {@code embedded-redis} jar (Redis 6.2,
 * which has every Streams command the project uses; unpacked once per machine beside the PostgreSQL binaries). It listens on 127.0.0.1 only. With {@code persistent}, it keeps
 * its data in an append-only file in its directory (run.sh: a second run finds the first's queue);
 * without, it keeps nothing on disk (tests). It is a child of this JVM, stopped by {@link #stop()};
 * its pid is written to its directory so the next start can stop one a dead JVM left behind.
 */
public final class EmbeddedRedis implements AutoCloseable {

    private static final Duration READY_WAIT = Duration.ofSeconds(20);
    /** The embedded-redis artifact the binary comes from (names the unpacked copy). */
    private static final String VERSION = "embedded-redis-1.4.3";
    private static Path bundled;

    private final Path directory;
    private final int port;
    private final List<String> command;
    private Process process;

    private EmbeddedRedis(Path directory, int port, List<String> command) {
        this.directory = directory;
        this.port = port;
        this.command = command;
    }

    /** Starts a server on {@code port} with its files in {@code directory}. */
    public static EmbeddedRedis start(Path directory, int port, boolean persistent) {
        Path home = directory.toAbsolutePath().normalize();
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + home + ": " + e.getMessage(), e);
        }
        List<String> command = new ArrayList<>(List.of(executable().toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--protected-mode", "no", "--dir", home.toString(), "--logfile", "redis.log",
                "--save", "", "--appendonly", persistent ? "yes" : "no"));
        if (persistent) {
            command.addAll(List.of("--appendfsync", "everysec"));
        }
        EmbeddedRedis redis = new EmbeddedRedis(home, port, command);
        redis.stopLeftover();
        redis.startProcess();
        return redis;
    }

    /** The redis-server binary from embedded-redis's jar, unpacked once per machine. */
    public static synchronized Path executable() {
        if (bundled == null) {
            try {
                Path directory = PostgresBinaries.unpackedOnce("redis-" + VERSION, "redis-server", into -> {
                    Path unpacked = ExecutableProvider.newJarResourceProvider(into.toFile()).get().toPath();
                    Files.move(unpacked, into.resolve("redis-server"));
                    into.resolve("redis-server").toFile().setExecutable(true, false);
                });
                bundled = directory.resolve("redis-server");
            } catch (IOException e) {
                throw new UncheckedIOException("could not unpack the embedded redis-server: " + e.getMessage(), e);
            }
        }
        return bundled;
    }

    /** The port it listens on (127.0.0.1). */
    public int port() {
        return port;
    }

    /** Where its files are. */
    public Path directory() {
        return directory;
    }

    /** Stops it (SIGTERM: Redis flushes its append-only file and exits), waiting up to 20 s. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(READY_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(READY_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
        try {
            Files.deleteIfExists(pidFile());
        } catch (IOException ignored) {
            // Only a hint for the next start.
        }
    }

    /** Kills it (SIGKILL), as a crash would. */
    public synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(READY_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** Starts it again after {@link #stop()} or {@link #kill()}. */
    public synchronized void restart() {
        if (process == null) {
            startProcess();
        }
    }

    @Override
    public void close() {
        stop();
    }

    private synchronized void startProcess() {
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(directory.resolve("stdout.log").toFile()).start();
            Files.writeString(pidFile(), Long.toString(process.pid()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
        }
        long giveUpAt = System.nanoTime() + READY_WAIT.toNanos();
        while (System.nanoTime() < giveUpAt) {
            if (!process.isAlive()) {
                break;
            }
            if (answers(port)) {
                return;
            }
            pause();
        }
        String why = process.isAlive() ? "did not answer within " + READY_WAIT : "exited with " + process.exitValue();
        kill();
        throw new IllegalStateException("redis-server on port " + port + " " + why + "; last lines of its log:\n"
                + Commands.tail(directory.resolve("redis.log"), 10) + "\n" + Commands.tail(directory.resolve("stdout.log"), 10));
    }

    /** A redis-server this directory's earlier owner started and did not stop (its JVM was killed). */
    private void stopLeftover() {
        Optional<ProcessHandle> leftover;
        try {
            leftover = Files.exists(pidFile()) ? ProcessHandle.of(Long.parseLong(Files.readString(pidFile()).strip())) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            leftover = Optional.empty();
        }
        leftover.filter(ProcessHandle::isAlive)
                .filter(handle -> handle.info().command().map(path -> path.contains("redis-server")).orElse(false))
                .ifPresent(handle -> {
                    handle.destroy();
                    handle.onExit().orTimeout(READY_WAIT.toMillis(), TimeUnit.MILLISECONDS).exceptionally(timeout -> null).join();
                });
    }

    private Path pidFile() {
        return directory.resolve("redis-server.pid");
    }

    /** Whether a Redis answers PING on 127.0.0.1:{@code port}. */
    static boolean answers(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[7];
            int read = in.readNBytes(reply, 0, reply.length);
            return new String(reply, 0, read, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
