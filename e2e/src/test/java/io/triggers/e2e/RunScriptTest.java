package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, as a new user runs it: {@code ./run.sh} with embedded PostgreSQL and
 * Redis ({@code TRIGGERS_EMBEDDED=always}, so the machine's own servers play no part) on spare
 * ports. It prints an API key and a curl line; the curl line's event reaches the demo receiver with
 * a valid signature; Ctrl-C (SIGTERM here) stops everything, the embedded servers included; and a
 * second run on the same state directory finds the first run's organization and key. An address
 * the user set that does not answer is an error, never replaced by an embedded server.
 */
class RunScriptTest {

    private static final Pattern KEY = Pattern.compile("API key\\s+(\\S+)\\s+\\(organization ([0-9a-f-]{36})\\)");
    private static final Pattern CURL = Pattern.compile("(?m)^\\s*(curl -sS -X POST .*/v1/events .*)$");

    /** Kept when the test fails, for its logs. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path state;

    @Test
    void runsOnEmbeddedServersAndASecondRunFindsTheFirstRunsOrganization() throws Exception {
        Map<String, String> ports = Map.of(
                "API_PORT", freePort(), "API_MANAGEMENT_PORT", freePort(), "WORKER_PORT", freePort(), "DEMO_PORT", freePort(),
                "TRIGGERS_EMBEDDED_POSTGRES_PORT", freePort(), "TRIGGERS_EMBEDDED_REDIS_PORT", freePort());
        int postgresPort = Integer.parseInt(ports.get("TRIGGERS_EMBEDDED_POSTGRES_PORT"));

        String apiKey;
        String organization;
        Path firstLog = state.resolve("first-run.out");
        Process first = start(ports, firstLog);
        try {
            String output = awaitRunning(first, firstLog);
            assertThat(output).contains("Started embedded postgres 127.0.0.1:" + postgresPort)
                    .contains("redis 127.0.0.1:" + ports.get("TRIGGERS_EMBEDDED_REDIS_PORT"));
            Matcher key = KEY.matcher(output);
            assertThat(key.find()).as("an API key line in:\n" + output).isTrue();
            apiKey = key.group(1);
            organization = key.group(2);

            Matcher curl = CURL.matcher(output);
            assertThat(curl.find()).as("a curl line in:\n" + output).isTrue();
            Process send = new ProcessBuilder("bash", "-c", curl.group(1)).redirectErrorStream(true).start();
            String answer = new String(send.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(send.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(answer).contains("\"event_id\"");

            // The demo receiver prints each webhook with the result of checking its signature.
            await().atMost(Duration.ofSeconds(30)).until(() -> read(firstLog).contains("\"order_id\":42"));
            String received = read(firstLog);
            String webhook = received.substring(received.lastIndexOf("[receiver]", received.indexOf("\"order_id\":42")));
            assertThat(webhook).contains("signature valid");
        } finally {
            stop(first);
        }
        assertThat(answers(postgresPort)).as("the embedded PostgreSQL stops with run.sh").isFalse();

        Path secondLog = state.resolve("second-run.out");
        Process second = start(ports, secondLog);
        try {
            String output = awaitRunning(second, secondLog);
            assertThat(output).contains("Found the demo organization of an earlier run (" + organization + ")");
            Matcher key = KEY.matcher(output);
            assertThat(key.find()).isTrue();
            assertThat(key.group(1)).isEqualTo(apiKey);
        } finally {
            stop(second);
        }
    }

    /** An address the user set is used as it is: one that does not answer stops run.sh, never replaced by an embedded server. */
    @Test
    void anAddressTheUserSetThatDoesNotAnswerIsAnErrorNotReplaced() throws Exception {
        String closed = freePort();
        Map<Map<String, String>, String> cases = Map.of(
                Map.of("TRIGGERS_EMBEDDED", "auto", "SPRING_DATA_REDIS_URL", "redis://127.0.0.1:" + closed),
                "run.sh: Redis at 127.0.0.1:" + closed + " (set by SPRING_DATA_REDIS_URL) does not answer",
                Map.of("TRIGGERS_EMBEDDED", "never", "PGHOST", "127.0.0.1", "PGPORT", closed),
                "run.sh: PostgreSQL at 127.0.0.1:" + closed + " (set by PGHOST PGPORT) does not answer",
                Map.of("TRIGGERS_EMBEDDED", "always", "PGPORT", closed),
                "run.sh: TRIGGERS_EMBEDDED=always, but PGPORT set a PostgreSQL to use");
        int run = 0;
        for (Map.Entry<Map<String, String>, String> scenario : cases.entrySet()) {
            Path log = state.resolve("refused-" + run++ + ".out");
            ProcessBuilder builder = new ProcessBuilder("bash", "run.sh").directory(repository().toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().keySet().removeIf(name -> name.startsWith("PG") || name.startsWith("SPRING_") || name.startsWith("TRIGGERS_"));
            builder.environment().putAll(scenario.getKey());
            builder.environment().put("TRIGGERS_STATE", state.resolve("refused").toString());
            Process process = builder.start();
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("run.sh stops at once for %s", scenario.getKey()).isTrue();
            assertThat(process.exitValue()).as(read(log)).isEqualTo(1);
            assertThat(read(log)).as("%s", scenario.getKey()).contains(scenario.getValue()).doesNotContain("Started embedded", "Triggers is running");
        }
    }

    private Process start(Map<String, String> ports, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder("bash", "run.sh").directory(repository().toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> environment = builder.environment();
        // Nothing of the developer's or CI's own setup may leak in: the script is to find nothing and start its own.
        environment.keySet().removeIf(name -> name.startsWith("PG") || name.startsWith("SPRING_") || name.startsWith("TRIGGERS_"));
        environment.putAll(ports);
        environment.put("TRIGGERS_EMBEDDED", "always");
        environment.put("TRIGGERS_STATE", state.resolve("state").toString());
        return builder.start();
    }

    private static String awaitRunning(Process process, Path log) {
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(250)).until(() -> {
            String output = read(log);
            if (!process.isAlive()) {
                throw new AssertionError("run.sh exited with " + process.exitValue() + ":\n" + output);
            }
            return output.contains("Triggers is running.");
        });
        return read(log);
    }

    /** Ctrl-C: run.sh's trap stops the apps, the receiver and the embedded servers. */
    private static void stop(Process process) throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            children.forEach(ProcessHandle::destroy);
            process.destroyForcibly();
            throw new AssertionError("run.sh did not stop within 90 s of SIGTERM");
        }
        for (ProcessHandle child : children) {
            child.onExit().orTimeout(60, TimeUnit.SECONDS).exceptionally(timeout -> child).join();
            assertThat(child.isAlive()).as("run.sh's child %s stops with it", child.info().command().orElse("?")).isFalse();
        }
    }

    private static Path repository() {
        Path here = Path.of("").toAbsolutePath();
        return Files.exists(here.resolve("run.sh")) ? here : here.getParent();
    }

    private static String read(Path log) {
        try {
            // Lenient: the script may be halfway through writing a multi-byte character.
            return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean answers(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return Integer.toString(socket.getLocalPort());
        }
    }
}
