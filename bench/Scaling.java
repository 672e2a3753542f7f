import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Do worker replicas add throughput? (issue 18) Delivery bound by waiting, not by this machine's
 * cores: a receiver that answers after {@code receiver-delay-ms} (100), events spread over
 * {@code endpoints} (64) endpoints so no endpoint's {@code max_in_flight} binds, and a per-replica
 * concurrency of {@code concurrency} (8): one replica can then deliver at most concurrency / delay
 * (80/s), and n replicas n times that. For each replica count in {@code replicas} (1,2,4) it starts
 * that many worker processes on a queue kept a backlog deep, lets them warm up, counts the webhooks
 * that arrive over {@code seconds}, and stops them (SIGTERM). Prints webhooks/s per replica count,
 * its ratio to one replica and to the waiting bound, and the CPU each process spent per webhook;
 * writes bench/results/scaling-<time>.json. Run it through bench/scaling.sh, which starts it with
 * {@code -Dsun.net.httpserver.nodelay=true}: without TCP_NODELAY the receiver's answers wait for
 * delayed ACKs, about 40 ms each.
 */
public final class Scaling {

    public static void main(String[] arguments) throws Exception {
        Map<String, String> args = new LinkedHashMap<>();
        for (String argument : arguments) {
            int eq = argument.indexOf('=');
            args.put(argument.substring(0, eq), argument.substring(eq + 1));
        }
        int status = 0;
        Scaling scaling = new Scaling(args);
        try {
            scaling.run();
        } catch (Exception e) {
            e.printStackTrace();
            status = 1;
        } finally {
            scaling.processes.forEach(Process::destroy);
            for (Process process : scaling.processes) {
                process.waitFor(20, TimeUnit.SECONDS);
            }
        }
        System.exit(status); // the receiver's threads would keep the JVM up
    }

    private final Map<String, String> args;
    private final Path state;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicLong received = new AtomicLong();
    private final List<Process> processes = new ArrayList<>();
    private final String encryptionKeys = "bench:" + java.util.Base64.getEncoder().encodeToString(new java.security.SecureRandom().generateSeed(32));

    private Scaling(Map<String, String> args) {
        this.args = args;
        this.state = Path.of(args.getOrDefault("state", ".triggers/bench"));
    }

    private int number(String name, int otherwise) {
        String value = args.get(name);
        return value == null || value.isBlank() ? otherwise : Integer.parseInt(value);
    }

    private void run() throws Exception {
        Files.createDirectories(state);
        int endpoints = number("endpoints", 64);
        int delayMs = number("receiver-delay-ms", 100);
        int concurrency = number("concurrency", 8);
        int seconds = number("seconds", 30);
        int warmup = number("warmup", 20);
        List<Integer> replicaCounts = new ArrayList<>();
        for (String count : args.getOrDefault("replicas", "1,2,4").split(",")) {
            replicaCounts.add(Integer.parseInt(count.trim()));
        }
        String receiver = startReceiver(delayMs, Math.max(64, replicaCounts.stream().mapToInt(Integer::intValue).max().orElse(1) * concurrency * 2));
        int apiPort = freePort();
        String api = "http://127.0.0.1:" + apiPort;
        Process apiProcess = start("scaling-api", args.get("api-jar"), apiPort, List.of("--triggers.admin-token=" + args.get("admin-token"),
                "--management.server.port=" + freePort()));
        awaitLive(api, apiProcess, "/v1/health");
        String key = organization(api);
        for (int i = 0; i < endpoints; i++) {
            // Endpoint i takes the events of type bench.e<i> only: each event is one webhook, to one endpoint.
            post(api + "/v1/endpoints", key, "{\"url\":\"" + receiver + "/e" + i + "\",\"event_types\":[\"bench.e" + i + "\"]}", 201);
        }
        say(endpoints + " endpoints, a receiver answering after " + delayMs + " ms, worker concurrency " + concurrency
                + "; replicas " + replicaCounts + ", " + warmup + " s of warm-up and " + seconds + " s measured each");

        long queued = 0;
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("started_at", Instant.now().toString());
        results.put("cpus", Runtime.getRuntime().availableProcessors());
        results.put("endpoints", endpoints);
        results.put("receiver_delay_ms", delayMs);
        results.put("concurrency_per_replica", concurrency);
        List<Map<String, Object>> steps = new ArrayList<>();
        double oneReplica = 0;
        for (int replicas : replicaCounts) {
            double bound = replicas * concurrency * 1000.0 / delayMs;
            // A backlog for the whole step and more, so the workers never run dry.
            long needed = received.get() + (long) (bound * (warmup + seconds) * 1.5) + 1000;
            for (; queued < needed; queued += 100) {
                StringBuilder batch = new StringBuilder("{\"events\":[");
                for (int i = 0; i < 100; i++) {
                    batch.append(i == 0 ? "" : ",").append("{\"event_type\":\"bench.e").append((queued + i) % endpoints)
                            .append("\",\"payload\":{\"n\":").append(queued + i).append("}}");
                }
                post(api + "/v1/events/batch", key, batch.append("]}").toString(), 200);
            }
            List<Process> workers = new ArrayList<>();
            for (int i = 0; i < replicas; i++) {
                int port = freePort();
                Process worker = start("scaling-worker-" + replicas + "-" + i, args.get("worker-jar"), port,
                        List.of("--triggers.worker.concurrency=" + concurrency));
                workers.add(worker);
                awaitLive("http://127.0.0.1:" + port, worker, "/actuator/health/readiness");
            }
            say(replicas + " worker replica(s) up; warming up " + warmup + " s");
            Thread.sleep(warmup * 1000L);
            Map<String, Long> cpuBefore = new LinkedHashMap<>();
            for (int i = 0; i < workers.size(); i++) {
                cpuBefore.put("worker-" + i, cpuTicks(workers.get(i)));
            }
            cpuBefore.put("api", cpuTicks(apiProcess));
            long from = received.get();
            long startedNanos = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            long arrived = received.get() - from;
            double elapsed = (System.nanoTime() - startedNanos) / 1e9;
            double rate = arrived / elapsed;
            Map<String, Object> step = new LinkedHashMap<>();
            step.put("replicas", replicas);
            step.put("webhooks", arrived);
            step.put("seconds", round(elapsed));
            step.put("webhooks_per_second", round(rate));
            step.put("waiting_bound_per_second", round(bound));
            step.put("of_waiting_bound", round(rate / bound));
            if (oneReplica == 0 && replicas == 1) {
                oneReplica = rate;
            }
            if (oneReplica > 0) {
                step.put("x_one_replica", round(rate / oneReplica));
            }
            Map<String, Object> cpu = new LinkedHashMap<>();
            long hz = 100; // USER_HZ
            for (int i = 0; i < workers.size(); i++) {
                cpu.put("worker-" + i, round((cpuTicks(workers.get(i)) - cpuBefore.get("worker-" + i)) * 1e6 / hz / Math.max(1, arrived)));
            }
            cpu.put("api", round((cpuTicks(apiProcess) - cpuBefore.get("api")) * 1e6 / hz / Math.max(1, arrived)));
            step.put("cpu_us_per_webhook", cpu);
            steps.add(step);
            say(String.format("  %d replica(s): %.1f webhooks/s (%.2f of the waiting bound %.0f/s%s); CPU µs per webhook %s", replicas, rate,
                    rate / bound, bound, oneReplica > 0 ? String.format(", %.2f x one replica", rate / oneReplica) : "", cpu));
            for (Process worker : workers) {
                worker.destroy(); // SIGTERM: graceful, its leases go back
            }
            for (Process worker : workers) {
                worker.waitFor(30, TimeUnit.SECONDS);
                processes.remove(worker);
            }
        }
        results.put("steps", steps);
        Path out = Path.of(args.getOrDefault("results", "bench/results"),
                "scaling-" + Instant.now().toString().replace(":", "").replaceAll("\\..*", "") + ".json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, toJson(results) + "\n");
        say("results: " + out);
    }

    private String startReceiver(int delayMs, int threads) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        server.setExecutor(Executors.newFixedThreadPool(threads));
        server.createContext("/", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                try {
                    Thread.sleep(delayMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                received.incrementAndGet();
                byte[] answer = "{}".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, answer.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/scaling";
    }

    private Process start(String name, String jar, int port, List<String> extra) throws IOException {
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

    private void awaitLive(String base, Process process, String path) throws Exception {
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

    private String organization(String api) throws Exception {
        String organization = post(api + "/v1/organizations", args.get("admin-token"),
                "{\"name\":\"scaling-" + System.nanoTime() + "\",\"rate_limit_per_minute\":0}", 201);
        Matcher key = Pattern.compile("\"key\":\"([^\"]+)\"").matcher(organization);
        if (!key.find()) {
            throw new IllegalStateException("no key in " + organization);
        }
        return key.group(1);
    }

    private String post(String url, String bearer, String body, int expected) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + bearer)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    /** utime + stime of a process, in clock ticks. */
    private static long cpuTicks(Process process) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    private static void say(String what) {
        System.out.println("[" + java.time.LocalTime.now().withNano(0) + "] " + what);
    }

    @SuppressWarnings("unchecked")
    private static String toJson(Object value) {
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
