package io.triggers.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One app (api or worker) in a JVM of its own, started from this test's class path, so a test can
 * kill it with SIGKILL, as the kernel's OOM killer or a crashed host would. Its output goes to
 * {@code target/processes/}.
 */
final class AppProcess implements AutoCloseable {

    private static final AtomicInteger STARTED = new AtomicInteger();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();

    private final Process process;
    /** Where actuator answers (the liveness probe). */
    private final int port;
    final Path log;

    private AppProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts {@code mainClass} with the settings as arguments on {@code port}, and waits until it is
     * live (asked on {@code management.server.port} when the settings give one).
     */
    static AppProcess start(String name, Class<?> mainClass, Map<String, String> settings, int port) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                mainClass.getName(),
                "--server.port=" + port));
        settings.forEach((key, value) -> command.add("--" + key + "=" + value));
        try {
            Path dir = Files.createDirectories(Path.of("target", "processes"));
            Path log = dir.resolve(name + "-" + STARTED.incrementAndGet() + ".log");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            // The api serves actuator on its management port when one is set; the worker on its one port.
            int probePort = settings.containsKey("management.server.port") ? Integer.parseInt(settings.get("management.server.port")) : port;
            AppProcess app = new AppProcess(process, probePort, log);
            app.awaitLive(Duration.ofSeconds(60));
            return app;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name, e);
        }
    }

    private void awaitLive(Duration timeout) {
        long giveUpAt = System.nanoTime() + timeout.toNanos();
        HttpRequest probe = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health/liveness"))
                .timeout(Duration.ofSeconds(1)).build();
        while (System.nanoTime() < giveUpAt) {
            if (!process.isAlive()) {
                throw new IllegalStateException("process exited with " + process.exitValue() + "; see " + log.toAbsolutePath());
            }
            try {
                HttpResponse<String> answer = HTTP.send(probe, HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() == 200 && answer.body().contains("\"UP\"")) {
                    return;
                }
            } catch (IOException notYet) {
                // Not listening yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("not live within " + timeout + "; see " + log.toAbsolutePath());
    }

    /** SIGKILL: no shutdown hook, no graceful stop, nothing flushed. */
    void kill() {
        process.destroyForcibly();
        waitFor();
    }

    private void waitFor() {
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A free port on loopback for an app that must come back on the same one after a kill: taken
     * below the kernel's ephemeral range (32768 and up), so no outgoing connection and no
     * {@code new ServerSocket(0)} elsewhere in the test can be given it meanwhile.
     */
    static int freePort() {
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = 20_000 + random.nextInt(12_000);
            try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // Try another.
            }
        }
        throw new IllegalStateException("no free port between 20000 and 32000");
    }

    /** SIGTERM, then SIGKILL if it has not stopped within 30 s. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            waitFor();
            process.destroyForcibly();
        }
    }
}
