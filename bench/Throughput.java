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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The throughput benchmark behind bench/throughput.sh. JDK only: java bench/Throughput.java key=value...
 *
 * <p>Measures, on this machine: the ceilings (pgbench single-row and 100-row INSERTs into a table
 * like events, redis-benchmark XADD), then our figures with api and worker started from the built
 * jars: single-event ingestion at a set concurrency and batch ingestion (for an organization with
 * one endpoint, so each event also gets its delivery row and its XADD; the worker is not running yet,
 * so the api has the machine), delivery of a backlog of {@code delivery-events} (20 000) queued
 * with the worker stopped, timed from the first webhook to the last, and ingest-to-receiver latency
 * at a fixed rate with both running. Prints a table with each figure's ratio to its ceiling and writes JSON.
 */
public class Throughput {

    private static final Pattern NUMBER = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)");

    public static void main(String[] arguments) throws Exception {
        Map<String, String> args = new LinkedHashMap<>();
        for (String argument : arguments) {
            int eq = argument.indexOf('=');
            args.put(argument.substring(0, eq), argument.substring(eq + 1));
        }
        new Throughput(args).run();
        System.exit(0); // the receiver's and the client's threads would keep the JVM up
    }

    private final Map<String, String> args;
    private final Path state;
    private final int seconds;
    private final int concurrency;
    private final HttpClient http;
    private final Map<String, AtomicLong> arrivals = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong received = new AtomicLong();
    private final ConcurrentLinkedQueue<Long> endToEnd = new ConcurrentLinkedQueue<>();
    private final List<Process> processes = new ArrayList<>();
    /** TRIGGERS_ENCRYPTION_KEYS of this run's apps: its database is its own, so a key for the run is enough. */
    private final String encryptionKeys = "bench:" + java.util.Base64.getEncoder().encodeToString(randomBytes(32));
    private final Map<String, Object> results = new LinkedHashMap<>();

    Throughput(Map<String, String> args) throws IOException {
        this.args = args;
        this.state = Files.createDirectories(Path.of(args.getOrDefault("state", ".triggers/bench")));
        this.seconds = Integer.parseInt(args.getOrDefault("seconds", "20"));
        this.concurrency = Integer.parseInt(args.getOrDefault("concurrency", "64"));
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(4)).connectTimeout(Duration.ofSeconds(5)).build();
    }

    void run() throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> processes.forEach(Process::destroyForcibly)));
        results.put("machine", machine());
        results.put("started_at", Instant.now().toString());
        Map<String, Double> ceilings = Map.of();
        if (phase("ceilings")) {
            say("ceilings: pgbench and redis-benchmark");
            ceilings = ceilings();
            results.put("ceilings", ceilings);
        }

        String receiver = startReceiver();
        int apiPort = freePort();
        int apiManagementPort = freePort();
        String api = "http://127.0.0.1:" + apiPort;
        Process apiProcess = start("api", args.get("api-jar"), apiPort, join(List.of("--triggers.admin-token=" + args.get("admin-token"),
                "--management.server.port=" + apiManagementPort), extra("api-args")));
        awaitLive("http://127.0.0.1:" + apiManagementPort, apiProcess);
        String key = setUp(api, receiver);

        if (phase("single")) {
            say("single-event ingestion, concurrency " + concurrency + ", " + seconds + " s (after 5 s of warm-up)");
            results.put("single_ingestion", single(api, key));
        }
        if (phase("batch")) {
            say("batch ingestion, " + seconds + " s");
            results.put("batch_ingestion", batch(api, key));
        }

        // What the ingestion phases queued is cleared (truncated: deleting would leave dead rows for
        // autovacuum to clean up during the drain), so the delivery phase drains a known backlog.
        exec(List.of("psql", "-h", args.getOrDefault("pg-host", "localhost"), "-p", args.getOrDefault("pg-port", "5432"),
                "-U", args.getOrDefault("pg-user", "postgres"), "-w", "-q", "-d", args.get("database"), "-c", "TRUNCATE events CASCADE"));
        String cli = "redis-cli -h " + args.getOrDefault("redis-host", "127.0.0.1") + " -p " + args.getOrDefault("redis-port", "6379");
        exec(List.of("sh", "-c", cli + " --scan --pattern '" + args.get("prefix") + ":*' | xargs -r -n 100 " + cli + " DEL"));
        int backlog = phase("delivery") ? Integer.parseInt(args.getOrDefault("delivery-events", "20000")) : 0;
        // The first webhooks warm the worker up (JIT); the figure is timed over the rest.
        int warmUp = backlog > 0 ? Integer.parseInt(args.getOrDefault("delivery-warmup", "10000")) : 0;
        if (backlog > 0) {
            say("delivery of a backlog of " + backlog + " events, after " + warmUp + " for warm-up");
            String hundred = batchBody(100, "bench.delivery");
            for (int sent = 0; sent < backlog + warmUp; sent += 100) {
                post(api + "/v1/events/batch", key, hundred, 200);
            }
        }
        int workerPort = freePort();
        long drainStarted = System.nanoTime();
        Process worker = start("worker", args.get("worker-jar"), workerPort, extra("worker-args"));
        awaitLive("http://127.0.0.1:" + workerPort, worker);
        if (backlog > 0) {
            long firstArrival = waitForArrivals(1, Duration.ofSeconds(60));
            long warmedUp = warmUp == 0 ? firstArrival : waitForArrivals(warmUp, Duration.ofMinutes(10));
            long lastArrival = waitForArrivals(warmUp + backlog, Duration.ofMinutes(10));
            double deliverySeconds = (lastArrival - warmedUp) / 1e9;
            Map<String, Object> delivery = new LinkedHashMap<>();
            delivery.put("webhooks", backlog);
            delivery.put("warm_up_webhooks", warmUp);
            delivery.put("seconds", round(deliverySeconds));
            delivery.put("webhooks_per_second", round(backlog / deliverySeconds));
            delivery.put("warm_up_webhooks_per_second", warmUp == 0 ? 0 : round(warmUp / ((warmedUp - firstArrival) / 1e9)));
            delivery.put("worker_start_to_first_webhook_seconds", round((firstArrival - drainStarted) / 1e9));
            results.put("delivery", delivery);
        }

        if (phase("e2e")) {
            say("ingest-to-receiver latency at " + args.getOrDefault("e2e-rate", "2000") + " events/s, " + seconds + " s");
            results.put("end_to_end", endToEnd(api, key));
        }
        report(ceilings);
        processes.forEach(Process::destroy);
    }

    /** Extra command-line arguments for an app (space-separated), e.g. worker-args="--triggers.worker.concurrency=256". */
    private List<String> extra(String name) {
        String value = args.getOrDefault(name, "").trim();
        return value.isEmpty() ? List.of() : List.of(value.split("\\s+"));
    }

    private static List<String> join(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    /** Whether the run includes {@code name} ({@code phases=ceilings,single,batch,delivery,e2e}; all by default). */
    private boolean phase(String name) {
        String phases = args.getOrDefault("phases", "all");
        return phases.equals("all") || List.of(phases.split(",")).contains(name);
    }

    // ---- ceilings ------------------------------------------------------------------------------

    private Map<String, Double> ceilings() throws Exception {
        Map<String, Double> ceilings = new LinkedHashMap<>();
        String pg = args.get("pgbench-db");
        Path single = state.resolve("insert-1.sql");
        Path hundred = state.resolve("insert-100.sql");
        String row = "gen_random_uuid(), '00000000-0000-7000-8000-000000000001'::uuid, 'bench.event', 'bench', "
                + "'{\"order_id\": 42, \"note\": \"benchmark\"}'::jsonb, '{}'::jsonb, 'pending', 'req', now(), now()";
        Files.writeString(single, "INSERT INTO ceiling.bench_events VALUES (" + row + ");\n");
        Files.writeString(hundred, "INSERT INTO ceiling.bench_events SELECT " + row + " FROM generate_series(1, 100);\n");
        int clients = Integer.parseInt(args.getOrDefault("pg-clients", "16"));
        String t = Integer.toString(Math.max(5, seconds / 2));
        ceilings.put("pg_insert_1_rows_per_second", pgbench(pg, single, clients, t));
        ceilings.put("pg_insert_100_rows_per_second", 100 * pgbench(pg, hundred, clients, t));
        ceilings.put("redis_xadd_per_second", redisBenchmark(1));
        ceilings.put("redis_xadd_pipelined_per_second", redisBenchmark(16));
        return ceilings;
    }

    private double pgbench(String database, Path script, int clients, String seconds) throws Exception {
        String out = exec(List.of("pgbench", "-n", "-h", args.getOrDefault("pg-host", "localhost"), "-p", args.getOrDefault("pg-port", "5432"),
                "-U", args.getOrDefault("pg-user", "postgres"), "-c", Integer.toString(clients), "-j", "2", "-T", seconds,
                "-f", script.toString(), database));
        Matcher tps = Pattern.compile("tps = ([0-9.]+)").matcher(out);
        if (!tps.find()) {
            throw new IllegalStateException("pgbench said: " + out);
        }
        return Double.parseDouble(tps.group(1));
    }

    private double redisBenchmark(int pipeline) throws Exception {
        String out = exec(List.of("redis-benchmark", "-h", args.getOrDefault("redis-host", "127.0.0.1"), "-p", args.getOrDefault("redis-port", "6379"),
                "-q", "-n", "200000", "-c", "50", "-P", Integer.toString(pipeline),
                "XADD", args.get("prefix") + ":ceiling", "MAXLEN", "~", "100000", "*",
                "event_id", "01a201e8-3bfd-7ed9-8f6c-c45e32938cf6", "organization_id", "01a201e8-3bfd-7ed9-8f6c-c45e32938cf7",
                "request_id", "8d3c3a3e-8b5e-4d55-9d7d-2f1a3b4c5d6e"));
        Matcher rate = Pattern.compile("([0-9.]+) requests per second").matcher(out);
        if (!rate.find()) {
            throw new IllegalStateException("redis-benchmark said: " + out);
        }
        return Double.parseDouble(rate.group(1));
    }

    // ---- our figures ---------------------------------------------------------------------------

    private Map<String, Object> single(String api, String key) throws Exception {
        String body = "{\"event_type\":\"bench.single\",\"source\":\"bench\",\"payload\":{\"order_id\":42,\"note\":\"benchmark\"}}";
        if (hasWrk()) {
            return singleWithWrk(api, key, body);
        }
        long[] warmUp = load(api + "/v1/events", key, body, concurrency, Duration.ofSeconds(5), null);
        long[] latencies = load(api + "/v1/events", key, body, concurrency, Duration.ofSeconds(seconds), null);
        Map<String, Object> figure = latencyFigure(latencies, seconds);
        figure.put("concurrency", concurrency);
        figure.put("events", latencies.length + warmUp.length);
        return figure;
    }

    private Map<String, Object> batch(String api, String key) throws Exception {
        int size = Integer.parseInt(args.getOrDefault("batch-size", "100"));
        String body = batchBody(size, "bench.batch");
        int batchConcurrency = Integer.parseInt(args.getOrDefault("batch-concurrency", "8"));
        long[] latencies = load(api + "/v1/events/batch", key, body, batchConcurrency, Duration.ofSeconds(seconds), null);
        Map<String, Object> figure = new LinkedHashMap<>();
        figure.put("batch_size", size);
        figure.put("concurrency", batchConcurrency);
        figure.put("events", (long) latencies.length * size);
        figure.put("events_per_second", round((double) latencies.length * size / seconds));
        figure.put("request_p50_ms", percentile(latencies, 50));
        figure.put("request_p99_ms", percentile(latencies, 99));
        return figure;
    }

    private static boolean hasWrk() {
        try {
            return new ProcessBuilder("wrk", "--version").redirectErrorStream(true).start().waitFor() >= 0;
        } catch (IOException notInstalled) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The same phase with wrk (C, two threads), which costs the machine less than a JVM client. */
    private Map<String, Object> singleWithWrk(String api, String key, String body) throws Exception {
        Path script = state.resolve("post.lua");
        Files.writeString(script, "wrk.method = \"POST\"\nwrk.body = '" + body + "'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
                + "wrk.headers[\"Authorization\"] = \"Bearer " + key + "\"\n");
        List<String> command = List.of("wrk", "-t2", "-c" + concurrency, "--latency", "-s", script.toString(), api + "/v1/events");
        List<String> warmUp = new ArrayList<>(command);
        warmUp.add(1, "-d5s");
        exec(warmUp);
        List<String> measured = new ArrayList<>(command);
        measured.add(1, "-d" + seconds + "s");
        String out = exec(measured);
        Map<String, Object> figure = new LinkedHashMap<>();
        figure.put("client", "wrk");
        figure.put("events_per_second", round(Double.parseDouble(match(out, "Requests/sec:\\s+([0-9.]+)"))));
        figure.put("p50_ms", wrkMillis(match(out, "50%\\s+([0-9.]+[a-z]+)")));
        figure.put("p99_ms", wrkMillis(match(out, "99%\\s+([0-9.]+[a-z]+)")));
        figure.put("non_2xx", out.contains("Non-2xx") ? match(out, "Non-2xx or 3xx responses: ([0-9]+)") : "0");
        figure.put("concurrency", concurrency);
        return figure;
    }

    private static String match(String text, String regex) {
        Matcher matcher = Pattern.compile(regex).matcher(text);
        if (!matcher.find()) {
            throw new IllegalStateException("no " + regex + " in: " + text);
        }
        return matcher.group(1);
    }

    private static double wrkMillis(String value) {
        double number = Double.parseDouble(value.replaceAll("[a-z]+$", ""));
        String unit = value.replaceAll("^[0-9.]+", "");
        return round(switch (unit) {
            case "us" -> number / 1000;
            case "s" -> number * 1000;
            case "m" -> number * 60_000;
            default -> number;
        });
    }

    private static String batchBody(int size, String type) {
        StringBuilder body = new StringBuilder("{\"events\":[");
        for (int i = 0; i < size; i++) {
            body.append(i == 0 ? "" : ",").append("{\"event_type\":\"").append(type).append("\",\"source\":\"bench\",\"payload\":{\"order_id\":")
                    .append(i).append(",\"note\":\"benchmark\"}}");
        }
        return body.append("]}").toString();
    }

    private Map<String, Object> endToEnd(String api, String key) throws Exception {
        int rate = Integer.parseInt(args.getOrDefault("e2e-rate", "2000"));
        long before = received.get();
        endToEnd.clear();
        long[] latencies = load(api + "/v1/events", key, null, concurrency, Duration.ofSeconds(seconds), rate);
        waitForArrivals(before + latencies.length, Duration.ofMinutes(2));
        long[] e2e = endToEnd.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(e2e);
        Map<String, Object> figure = new LinkedHashMap<>();
        figure.put("target_rate", rate);
        figure.put("achieved_rate", round((double) latencies.length / seconds));
        figure.put("events", e2e.length);
        figure.put("p50_ms", percentileOfSorted(e2e, 50));
        figure.put("p99_ms", percentileOfSorted(e2e, 99));
        figure.put("max_ms", e2e.length == 0 ? 0 : round(e2e[e2e.length - 1] / 1e6));
        return figure;
    }

    /**
     * Sends POSTs with {@code concurrency} in flight for {@code duration} (at {@code rate} a second
     * when given; the body then carries the send time for the receiver), and returns the latencies
     * (ns) of the requests answered 2xx.
     */
    private long[] load(String url, String key, String body, int concurrency, Duration duration, Integer rate) throws Exception {
        Semaphore slots = new Semaphore(concurrency);
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicLong failures = new AtomicLong();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long sent = 0;
        while (System.nanoTime() < end) {
            if (rate != null) {
                long due = start + sent * 1_000_000_000L / rate;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
            slots.acquire();
            long sentAt = System.nanoTime();
            String payload = body != null ? body
                    : "{\"event_type\":\"bench.e2e\",\"source\":\"bench\",\"payload\":{\"sent_at\":" + sentAt + "}}";
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(payload)).build();
            http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
                slots.release();
                if (error == null && response.statusCode() / 100 == 2) {
                    latencies.add(System.nanoTime() - sentAt);
                } else {
                    failures.incrementAndGet();
                }
            });
            sent++;
        }
        slots.acquire(concurrency);
        slots.release(concurrency);
        if (failures.get() > 0) {
            System.out.printf("  %d requests to %s failed%n", failures.get(), url);
        }
        return latencies.stream().mapToLong(Long::longValue).toArray();
    }

    private Map<String, Object> latencyFigure(long[] latencies, int seconds) {
        Map<String, Object> figure = new LinkedHashMap<>();
        figure.put("events_per_second", round((double) latencies.length / seconds));
        figure.put("p50_ms", percentile(latencies, 50));
        figure.put("p99_ms", percentile(latencies, 99));
        return figure;
    }

    // ---- receiver, processes, helpers -----------------------------------------------------------

    private String startReceiver() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        server.setExecutor(Executors.newFixedThreadPool(16));
        Pattern sentAt = Pattern.compile("\"sent_at\":\\s*([0-9]+)");
        server.createContext("/", exchange -> {
            try (exchange) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                long now = System.nanoTime();
                Matcher sent = sentAt.matcher(new String(body, StandardCharsets.UTF_8));
                if (sent.find()) {
                    endToEnd.add(now - Long.parseLong(sent.group(1)));
                }
                received.incrementAndGet();
                synchronized (arrivals) {
                    arrivals.computeIfAbsent("last", k -> new AtomicLong()).set(now);
                    arrivals.computeIfAbsent("first", k -> new AtomicLong(now));
                }
                byte[] answer = "{}".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, answer.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/bench";
    }

    /** Waits until {@code count} webhooks have arrived; returns the nanoTime of the last arrival then. */
    private long waitForArrivals(long count, Duration timeout) throws InterruptedException {
        long giveUp = System.nanoTime() + timeout.toNanos();
        while (received.get() < count) {
            if (System.nanoTime() > giveUp) {
                throw new IllegalStateException("only " + received.get() + " of " + count + " webhooks arrived within " + timeout);
            }
            Thread.sleep(5);
        }
        return count == 1 ? arrivals.get("first").get() : arrivals.get("last").get();
    }

    private static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        new java.security.SecureRandom().nextBytes(bytes);
        return bytes;
    }

    private Process start(String name, String jar, int port, List<String> extra) throws IOException {
        List<String> command = new ArrayList<>(List.of("java", "-Xmx1g", "-jar", jar, "--server.port=" + port,
                "--spring.r2dbc.url=r2dbc:postgresql://" + args.getOrDefault("pg-host", "localhost") + ":" + args.getOrDefault("pg-port", "5432")
                        + "/" + args.get("database"),
                "--spring.r2dbc.username=" + args.getOrDefault("pg-user", "postgres"),
                "--spring.flyway.url=jdbc:postgresql://" + args.getOrDefault("pg-host", "localhost") + ":" + args.getOrDefault("pg-port", "5432")
                        + "/" + args.get("database"),
                "--spring.flyway.user=" + args.getOrDefault("pg-user", "postgres"),
                "--spring.data.redis.url=redis://" + args.getOrDefault("redis-host", "127.0.0.1") + ":" + args.getOrDefault("redis-port", "6379"),
                "--triggers.redis.key-prefix=" + args.get("prefix"),
                "--triggers.encryption-keys=" + encryptionKeys,
                "--triggers.delivery.allow-private-targets=true",
                "--logging.level.reactor.netty.http.server.AccessLog=warn"));
        command.addAll(extra);
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(state.resolve(name + ".log").toFile()).start();
        processes.add(process);
        return process;
    }

    private void awaitLive(String base, Process process) throws Exception {
        HttpRequest probe = HttpRequest.newBuilder(URI.create(base + "/actuator/health/readiness")).timeout(Duration.ofSeconds(1)).build();
        for (int i = 0; i < 1200; i++) {
            if (!process.isAlive()) {
                throw new IllegalStateException("a process exited; see " + state);
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

    private String setUp(String api, String receiver) throws Exception {
        String organization = post(api + "/v1/organizations", args.get("admin-token"), "{\"name\":\"bench\",\"rate_limit_per_minute\":0}");
        Matcher key = Pattern.compile("\"key\":\"([^\"]+)\"").matcher(organization);
        if (!key.find()) {
            throw new IllegalStateException("no key in " + organization);
        }
        post(api + "/v1/endpoints", key.group(1), "{\"url\":\"" + receiver + "\"}");
        return key.group(1);
    }

    private String post(String url, String bearer, String body) throws Exception {
        return post(url, bearer, body, 201);
    }

    private String post(String url, String bearer, String body, int expected) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + bearer)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    private static String exec(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }

    private static Map<String, Object> machine() throws IOException {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cpus", Runtime.getRuntime().availableProcessors());
        String model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        machine.put("cpu", model);
        machine.put("java", System.getProperty("java.version"));
        return machine;
    }

    private static void say(String what) {
        System.out.printf("[%tT] %s%n", System.currentTimeMillis(), what);
        System.out.flush();
    }

    private static double percentile(long[] latenciesNanos, int p) {
        long[] sorted = latenciesNanos.clone();
        Arrays.sort(sorted);
        return percentileOfSorted(sorted, p);
    }

    private static double percentileOfSorted(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
        return round(sorted[Math.max(0, index)] / 1e6);
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    /** A free loopback port below the ephemeral range, so nothing else is given it while its process restarts. */
    private static int freePort() throws IOException {
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = 20_000 + random.nextInt(12_000);
            try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // Try another.
            }
        }
        throw new IOException("no free port between 20000 and 32000");
    }

    @SuppressWarnings("unchecked")
    private void report(Map<String, Double> ceilings) throws IOException {
        Map<String, Object> single = (Map<String, Object>) results.get("single_ingestion");
        Map<String, Object> batch = (Map<String, Object>) results.get("batch_ingestion");
        Map<String, Object> delivery = (Map<String, Object>) results.get("delivery");
        Map<String, Object> e2e = (Map<String, Object>) results.get("end_to_end");
        Double pg1 = ceilings.get("pg_insert_1_rows_per_second");
        Double pg100 = ceilings.get("pg_insert_100_rows_per_second");
        List<String[]> rows = new ArrayList<>();
        Map<String, Object> ratios = new LinkedHashMap<>();
        if (single != null) {
            rows.add(row("single ingestion (events/s)", single.get("events_per_second"), "10000", "pgbench 1-row INSERT", pg1));
            rows.add(row("  p50 / p99 (ms)", single.get("p50_ms") + " / " + single.get("p99_ms"), "p99 <= 20", "", null));
            ratio(ratios, "single_ingestion_to_pg_insert_1", single.get("events_per_second"), pg1);
        }
        if (batch != null) {
            rows.add(row("batch ingestion (events/s)", batch.get("events_per_second"), "50000", "pgbench 100-row INSERT (rows/s)", pg100));
            ratio(ratios, "batch_ingestion_to_pg_insert_100", batch.get("events_per_second"), pg100);
        }
        if (delivery != null) {
            rows.add(row("delivery (webhooks/s)", delivery.get("webhooks_per_second"), "5000", "pgbench 1-row INSERT", pg1));
            ratio(ratios, "delivery_to_pg_insert_1", delivery.get("webhooks_per_second"), pg1);
        }
        if (e2e != null) {
            rows.add(row("ingest->receiver at " + e2e.get("target_rate") + "/s p50 / p99 (ms)", e2e.get("p50_ms") + " / " + e2e.get("p99_ms"),
                    "10 / 50", "(reached " + e2e.get("achieved_rate") + "/s)", null));
        }
        if (ceilings.containsKey("redis_xadd_per_second")) {
            rows.add(row("redis XADD (ceiling)", ceilings.get("redis_xadd_per_second"), "",
                    "pipelined x16: " + ceilings.get("redis_xadd_pipelined_per_second"), null));
        }
        results.put("ratios", ratios);
        System.out.printf("%n%-44s %16s %12s   %s%n", "figure", "measured", "target", "ceiling (ratio)");
        for (String[] row : rows) {
            System.out.printf("%-44s %16s %12s   %s%n", row[0], row[1], row[2], row[3]);
        }
        String file = "throughput-" + Instant.now().toString().replace(":", "").replaceAll("\\..*", "") + ".json";
        Path out = Path.of(args.getOrDefault("results", "bench/results")).resolve(file);
        Files.createDirectories(out.getParent());
        Files.writeString(out, toJson(results) + "\n");
        System.out.println("\nresults: " + out);
    }

    private static void ratio(Map<String, Object> ratios, String name, Object measured, Double ceiling) {
        if (ceiling != null && measured instanceof Number number) {
            ratios.put(name, round(number.doubleValue() / ceiling));
        }
    }

    private static String[] row(String name, Object measured, String target, String ceilingName, Double ceiling) {
        String ratio = "";
        if (ceiling != null && measured instanceof Number number) {
            ratio = String.format(Locale.ROOT, "%s %.0f (%.2f)", ceilingName, ceiling, number.doubleValue() / ceiling);
        } else {
            ratio = ceilingName;
        }
        return new String[] {name, String.valueOf(measured), target, ratio};
    }

    private static String toJson(Object value) {
        if (value instanceof Map<?, ?> map) {
            List<String> fields = new ArrayList<>();
            map.forEach((k, v) -> fields.add("\"" + k + "\":" + toJson(v)));
            return "{" + String.join(",", fields) + "}";
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        return "\"" + String.valueOf(value).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
