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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the benchmarks that run the service's jars as processes share (scaling.sh, capacity.sh):
 * their key=value arguments, starting the api and workers against the scratch database and Redis
 * prefix, waiting until they are live, the admin calls, CPU ticks of a process, JSON output.
 */
final class BenchSupport {

    final Map<String, String> args = new LinkedHashMap<>();
    final Path state;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    final List<Process> processes = new ArrayList<>();
    private final String encryptionKeys = "bench:" + java.util.Base64.getEncoder().encodeToString(new java.security.SecureRandom().generateSeed(32));

    BenchSupport(String[] arguments) {
        for (String argument : arguments) {
            int eq = argument.indexOf('=');
            args.put(argument.substring(0, eq), argument.substring(eq + 1));
        }
        this.state = Path.of(args.getOrDefault("state", ".triggers/bench"));
    }

    /** Runs the benchmark, stops every process it started (SIGTERM), and exits with 0 or 1. */
    void main(Callable benchmark) throws InterruptedException {
        int status = 0;
        try {
            Files.createDirectories(state);
            benchmark.run();
        } catch (Exception e) {
            e.printStackTrace();
            status = 1;
        } finally {
            processes.forEach(Process::destroy);
            for (Process process : processes) {
                process.waitFor(20, TimeUnit.SECONDS);
            }
        }
        System.exit(status); // a receiver's threads would keep the JVM up
    }

    /** A benchmark's body. */
    interface Callable {
        void run() throws Exception;
    }

    int number(String name, int otherwise) {
        String value = args.get(name);
        return value == null || value.isBlank() ? otherwise : Integer.parseInt(value);
    }

    /** Starts an app jar (args {@code api-jar} or {@code worker-jar}) on the scratch database and Redis prefix. */
    Process start(String name, String jar, int port, List<String> extra) throws IOException {
        String pg = args.getOrDefault("pg-host", "localhost") + ":" + args.getOrDefault("pg-port", "5432") + "/" + args.get("database");
        List<String> command = new ArrayList<>(List.of(args.getOrDefault("java", "java"), "-Xmx1g", "-jar", jar, "--server.port=" + port,
                "--spring.r2dbc.url=r2dbc:postgresql://" + pg,
                "--spring.r2dbc.username=" + args.getOrDefault("pg-user", "postgres"),
                "--spring.flyway.url=jdbc:postgresql://" + pg,
                "--spring.flyway.user=" + args.getOrDefault("pg-user", "postgres"),
                "--spring.data.redis.url=redis://" + args.getOrDefault("redis-host", "127.0.0.1") + ":" + args.getOrDefault("redis-port", "6379"),
                "--triggers.redis.key-prefix=" + args.get("prefix"),
                "--triggers.encryption-keys=" + encryptionKeys,
                "--triggers.delivery.allow-private-targets=true",
                "--logging.level.reactor.netty.http.server.AccessLog=warn"));
        command.addAll(extra);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(state.resolve(name + ".log").toFile()).start();
        processes.add(process);
        return process;
    }

    /** A started app: its base URL and process. */
    record App(String url, Process process) {
    }

    /** Starts the api on a free port and waits until it is live. */
    App startApi(String name) throws Exception {
        int port = freePort();
        Process api = start(name, args.get("api-jar"), port, List.of("--triggers.admin-token=" + args.get("admin-token"),
                "--management.server.port=" + freePort()));
        String base = "http://127.0.0.1:" + port;
        awaitLive(base, api, "/v1/health");
        return new App(base, api);
    }

    /** Starts a worker on a free port, with extra settings, and waits until it is ready. */
    App startWorker(String name, List<String> extra) throws Exception {
        int port = freePort();
        Process worker = start(name, args.get("worker-jar"), port, extra);
        String base = "http://127.0.0.1:" + port;
        awaitLive(base, worker, "/actuator/health/readiness");
        return new App(base, worker);
    }

    void awaitLive(String base, Process process, String path) throws Exception {
        HttpRequest probe = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(1)).build();
        for (int i = 0; i < 1200; i++) {
            if (!process.isAlive()) {
                throw new IllegalStateException("a process exited; see the logs in " + state);
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Starting.
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(base + " did not come up; see " + state);
    }

    /** Creates an organization without an ingest rate limit and returns its API key. */
    String organization(String api, String name) throws Exception {
        String organization = post(api + "/v1/organizations", args.get("admin-token"),
                "{\"name\":\"" + name + "-" + System.nanoTime() + "\",\"rate_limit_per_minute\":0}", 201);
        Matcher key = Pattern.compile("\"key\":\"([^\"]+)\"").matcher(organization);
        if (!key.find()) {
            throw new IllegalStateException("no key in " + organization);
        }
        return key.group(1);
    }

    String post(String url, String bearer, String body, int expected) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + bearer)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    /** Writes the results as bench/results/{name}-{time}.json and returns the path. */
    Path write(String name, Map<String, Object> results) throws IOException {
        Path out = Path.of(args.getOrDefault("results", "bench/results"),
                name + "-" + java.time.Instant.now().toString().replace(":", "").replaceAll("\\..*", "") + ".json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, toJson(results) + "\n");
        return out;
    }

    /**
     * Starts a webhook receiver on a free loopback port that answers 200 after {@code delayMs} (0: at
     * once) on {@code threads} threads, counting what it received; returns its URL ending in {@code path}.
     */
    static String startReceiver(int delayMs, int threads, java.util.concurrent.atomic.AtomicLong received, String path) throws IOException {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 1024);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(threads));
        server.createContext("/", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                if (delayMs > 0) {
                    try {
                        Thread.sleep(delayMs);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                received.incrementAndGet();
                byte[] answer = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, answer.length);
                try (java.io.OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** utime + stime of a process, in clock ticks (USER_HZ, 100 a second). */
    static long cpuTicks(Process process) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    static void say(String what) {
        System.out.println("[" + java.time.LocalTime.now().withNano(0) + "] " + what);
    }

    static String toJson(Object value) {
        if (value instanceof Map<?, ?> map) {
            StringBuilder json = new StringBuilder("{");
            map.forEach((k, v) -> json.append(json.length() > 1 ? ", " : "").append('"').append(k).append("\": ").append(toJson(v)));
            return json.append('}').toString();
        }
        if (value instanceof List<?> list) {
            StringBuilder json = new StringBuilder("[");
            list.forEach(v -> json.append(json.length() > 1 ? ", " : "").append(toJson(v)));
            return json.append(']').toString();
        }
        if (value instanceof String text) {
            return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        }
        return String.valueOf(value);
    }
}
