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
 * The throughput benchmark behind bench/throughput.sh (compiled with ProcessCpu.java; JDK only).
 *
 * <p>Measures, on this machine: the ceilings (pgbench single-row and 100-row INSERTs into a table
 * like events, redis-benchmark XADD); the framework's floor (a bare Spring Boot WebFlux app,
 * bench/floor, answering GET /hello); then our figures with api and worker started from the built
 * jars: GET /v1/me, single-event ingestion for an organization without endpoints and for one with
 * one endpoint (each event then also gets its delivery row and its XADD; the worker is not running
 * yet, so the api has the machine), the same with a filtered endpoint and with an event type whose
 * JSON Schema every event is checked against, batch ingestion, delivery of a backlog of
 * {@code delivery-events} (20 000) queued with the worker stopped, timed from the first webhook to
 * the last, and ingest-to-receiver latency at a fixed rate with both running.
 *
 * <p>Every load phase first warms up until its rate is stable (at least {@code warmup-min} s, 20:
 * a cold WebFlux app serves a sixth of its warm rate), then measures, and prints beside its rate
 * the CPU time each process spent per event in the measured window: api (or the floor app),
 * worker, PostgreSQL (all backends), Redis, the load generator (wrk, a child process) and this JVM
 * (the Java load generator and the webhook receiver). With {@code profile=true} the apps record JFR
 * profiles, rendered as flame graphs (bench/results/flame-*.html) with jfr-converter.
 * Prints a table with each figure's ratio to its ceiling and writes JSON.
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
    /** When this run started, naming its recordings. */
    private final String startedAt = Instant.now().toString().replace(":", "").replaceAll("\\..*", "");
    private final int warmupMin;
    private final int warmupMax;
    private final boolean profile;
    private long postmasterPid = -1;
    private long redisPid = -1;
    private Process apiProcess;
    private Process workerProcess;

    Throughput(Map<String, String> args) throws IOException {
        this.args = args;
        this.state = Files.createDirectories(Path.of(args.getOrDefault("state", ".triggers/bench")));
        this.seconds = Integer.parseInt(args.getOrDefault("seconds", "20"));
        this.concurrency = Integer.parseInt(args.getOrDefault("concurrency", "64"));
        this.warmupMin = Integer.parseInt(args.getOrDefault("warmup-min", "20"));
        this.warmupMax = Integer.parseInt(args.getOrDefault("warmup-max", "90"));
        this.profile = Boolean.parseBoolean(args.getOrDefault("profile", "false"));
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

        findServerProcesses();
        if (phase("floor")) {
            int floorPort = freePort();
            Process floor = start("floor", args.get("floor-jar"), floorPort, List.of("--logging.level.root=warn"));
            awaitLive("http://127.0.0.1:" + floorPort, floor, "/hello");
            say("framework floor: a bare WebFlux app, GET /hello, concurrency " + concurrency);
            results.put("floor", wrkPhase("http://127.0.0.1:" + floorPort + "/hello", null, null, meters("floor", floor, null)));
            floor.destroy();
            floor.waitFor();
        }

        String receiver = startReceiver();
        int apiPort = freePort();
        int apiManagementPort = freePort();
        String api = "http://127.0.0.1:" + apiPort;
        // The organizations are unlimited for every call: GET /v1/me measures the framework path, not the read budget.
        apiProcess = start("api", args.get("api-jar"), apiPort, join(List.of("--triggers.admin-token=" + args.get("admin-token"),
                "--management.server.port=" + apiManagementPort, "--triggers.rate-limit.calls-per-minute=0"), extra("api-args")));
        awaitLive("http://127.0.0.1:" + apiManagementPort, apiProcess, "/actuator/health/readiness");
        String bareKey = organization(api);
        String key = setUp(api, receiver);

        if (phase("me")) {
            say("GET /v1/me (authentication, cached key), concurrency " + concurrency);
            results.put("me", wrkPhase(api + "/v1/me", bareKey, null, meters("api", apiProcess, null)));
        }
        String event = "{\"event_type\":\"bench.single\",\"source\":\"bench\",\"payload\":{\"order_id\":42,\"note\":\"benchmark\"}}";
        if (phase("single-bare")) {
            say("single-event ingestion, organization without endpoints, concurrency " + concurrency);
            results.put("single_ingestion_no_endpoint", wrkPhase(api + "/v1/events", bareKey, event, meters("api", apiProcess, null)));
        }
        if (phase("single")) {
            say("single-event ingestion, organization with one endpoint, concurrency " + concurrency);
            results.put("single_ingestion", single(api, key, event));
        }
        if (phase("single-filter")) {
            // The same, to an endpoint with a filter that every event matches (two conditions): what matching costs at ingest.
            String filteredKey = organization(api);
            post(api + "/v1/endpoints", filteredKey, "{\"url\":\"" + receiver
                    + "\",\"filter\":{\"data.order_id\":{\"$gte\":1},\"source\":{\"$in\":[\"bench\",\"shop\"]}}}");
            say("single-event ingestion, organization with one filtered endpoint, concurrency " + concurrency);
            results.put("single_ingestion_filter", single(api, filteredKey, event));
        }
        if (phase("single-schema")) {
            // The same as single (an organization with one endpoint, the same payload), but the event type has a
            // JSON Schema every event passes (types, a required list, a minimum, a pattern, a length, no other
            // properties, three optional properties besides): what checking a payload against its schema costs.
            String schemaKey = setUp(api, receiver);
            put(api + "/v1/event-types/bench.schema", schemaKey, """
                    {"description": "bench", "schema": {"type": "object", "required": ["order_id", "note"],
                     "additionalProperties": false,
                     "properties": {"order_id": {"type": "integer", "minimum": 1},
                                    "note": {"type": "string", "pattern": "^[a-z ]+$", "maxLength": 200},
                                    "customer": {"type": "string", "pattern": "^c-[0-9]+$"},
                                    "amount": {"type": "integer", "minimum": 0},
                                    "currency": {"type": "string", "enum": ["EUR", "USD", "GBP"]}}}}""");
            String checked = event.replace("bench.single", "bench.schema");
            say("single-event ingestion, organization with one endpoint, event type with a schema, concurrency " + concurrency);
            results.put("single_ingestion_schema", single(api, schemaKey, checked));
        }
        if (phase("batch")) {
            say("batch ingestion, " + seconds + " s");
            results.put("batch_ingestion", batch(api, key));
        }
        if (phase("producer")) {
            say("single sends through the Java client's producer (batched by the client), " + seconds + " s");
            results.put("producer_ingestion", producer(api, key));
        }

        // What the ingestion phases queued is cleared (truncated: deleting would leave dead rows for
        // autovacuum to clean up during the drain), so the delivery phase drains a known backlog.
        exec(List.of("psql", "-h", args.getOrDefault("pg-host", "localhost"), "-p", args.getOrDefault("pg-port", "5432"),
                "-U", args.getOrDefault("pg-user", "postgres"), "-w", "-q", "-d", args.get("database"), "-c", "TRUNCATE events CASCADE"));
        String cli = "redis-cli -h " + args.getOrDefault("redis-host", "127.0.0.1") + " -p " + args.getOrDefault("redis-port", "6379");
        exec(List.of("sh", "-c", cli + " --scan --pattern '" + args.get("prefix") + ":*' | xargs -r -n 100 " + cli + " DEL"));
        int backlog = phase("delivery") ? Integer.parseInt(args.getOrDefault("delivery-events", "20000")) : 0;
        String hundred = batchBody(100, "bench.delivery");
        long posted = 0;
        if (backlog > 0) {
            say("delivery of a backlog of " + backlog + " events, after a warm-up until the rate is stable");
            for (; posted < backlog; posted += 100) {
                post(api + "/v1/events/batch", key, hundred, 200);
            }
        }
        // One connection's ingest latency with the worker stopped (its backlog queued), then while it
        // delivers: the organization without endpoints, so these events add no webhooks to the count.
        Map<String, Object> oneConnection = new LinkedHashMap<>();
        if (backlog > 0) {
            say("one connection, POST /v1/events, worker stopped");
            oneConnection.put("worker_stopped", oneConnection(api + "/v1/events", bareKey, event, null));
        }
        int workerPort = freePort();
        long drainStarted = System.nanoTime();
        Process worker = start("worker", args.get("worker-jar"), workerPort, extra("worker-args"));
        workerProcess = worker;
        awaitLive("http://127.0.0.1:" + workerPort, worker, "/actuator/health/readiness");
        if (backlog > 0) {
            long firstArrival = waitForArrivals(1, Duration.ofSeconds(60));
            // Warm-up (JIT: 10 000 webhooks were not enough, the compiler threads then still took half
            // of the worker's CPU): the worker delivers in 5 s rounds, its queue kept at least a backlog
            // deep, until its rate is stable as in the wrk phases. Then the next backlog's worth is timed.
            List<Double> warmRates = new ArrayList<>();
            long warmStart = System.nanoTime();
            long roundStart = warmStart;
            long roundFrom = received.get();
            while (true) {
                long margin = Math.max(5_000, 2 * (received.get() - roundFrom));
                while (posted - received.get() < backlog + margin) {
                    post(api + "/v1/events/batch", key, hundred, 200);
                    posted += 100;
                }
                Thread.sleep(50);
                long now = System.nanoTime();
                if (now - roundStart >= 5_000_000_000L) {
                    warmRates.add(round((received.get() - roundFrom) / ((now - roundStart) / 1e9)));
                    roundStart = now;
                    roundFrom = received.get();
                    double elapsed = (now - warmStart) / 1e9;
                    boolean stable = stable(warmRates);
                    // At least a minute, up to 150 s: the worker's rate climbs for that long (its JIT shares two
                    // cores with the api, PostgreSQL and the receiver), and with 20 s a plateau on the way up
                    // (846, 782, 825/s) passed for stable and the phase then measured 1 132/s, not 1 500.
                    if ((elapsed >= Math.max(warmupMin, 60) && stable) || elapsed >= Math.max(warmupMax, 150)) {
                        break;
                    }
                }
            }
            long warmUp = received.get();
            long warmedUp = System.nanoTime();
            say("  warm-up rounds (webhooks/s): " + warmRates);
            ProcessCpu cpu = meters("api", apiProcess, worker);
            Map<String, Long> cpuBefore = cpu.snapshot();
            java.util.concurrent.CompletableFuture<Map<String, Object>> delivering = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return oneConnection(api + "/v1/events", bareKey, event, received);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long lastArrival = waitForArrivals(warmUp + backlog, Duration.ofMinutes(10));
            oneConnection.put("worker_delivering", delivering.join());
            say("  one connection: worker stopped " + oneConnection.get("worker_stopped") + "; delivering " + oneConnection.get("worker_delivering"));
            results.put("one_connection_ingest", oneConnection);
            Map<String, Object> cpuSeconds = ProcessCpu.seconds(cpuBefore, cpu.snapshot());
            // What is still queued (the warm-up's margin) is delivered before the next phase, untimed.
            waitForArrivals(posted, Duration.ofMinutes(10));
            double deliverySeconds = (lastArrival - warmedUp) / 1e9;
            Map<String, Object> delivery = new LinkedHashMap<>();
            delivery.put("webhooks", backlog);
            delivery.put("warm_up_webhooks", warmUp);
            delivery.put("seconds", round(deliverySeconds));
            delivery.put("webhooks_per_second", round(backlog / deliverySeconds));
            delivery.put("warm_up_seconds", round((warmedUp - firstArrival) / 1e9));
            delivery.put("warm_up_rates_per_5s", warmRates);
            delivery.put("worker_start_to_first_webhook_seconds", round((firstArrival - drainStarted) / 1e9));
            putCpu(delivery, cpuSeconds, backlog, "webhook");
            results.put("delivery", delivery);
        }

        if (phase("e2e")) {
            say("ingest-to-receiver latency at " + args.getOrDefault("e2e-rate", "2000") + " events/s, " + seconds + " s");
            results.put("end_to_end", endToEnd(api, key));
        }
        report(ceilings);
        processes.forEach(Process::destroy);
        for (Process process : processes) {
            process.waitFor();
        }
        if (profile) {
            flameGraphs();
        }
    }

    // ---- CPU, warm-up, profiles ----------------------------------------------------------------

    /** The PostgreSQL postmaster (the parent of its checkpointer) and Redis, when they run on this machine. */
    private void findServerProcesses() {
        postmasterPid = ProcessCpu.postgresPostmaster(args.getOrDefault("pg-host", "localhost"), args.getOrDefault("pg-port", "5432"),
                args.getOrDefault("pg-user", "postgres"), args.get("database"));
        redisPid = ProcessCpu.redisServer(args.getOrDefault("redis-host", "127.0.0.1"), args.getOrDefault("redis-port", "6379"));
        if (postmasterPid < 0 || redisPid < 0) {
            say("PostgreSQL's or Redis's processes are not visible here: their CPU is not reported");
        }
    }

    /** The meters of a phase: the app serving it, the worker (when running), PostgreSQL, Redis, wrk, this JVM. */
    private ProcessCpu meters(String appName, Process app, Process worker) {
        ProcessCpu cpu = new ProcessCpu().process(appName, app.pid());
        if (worker != null) {
            cpu.process("worker", worker.pid());
        }
        return cpu.postgres("postgres", postmasterPid).process("redis", redisPid).reapedChildren("wrk").self("bench");
    }

    /** Puts the CPU-seconds of a window and the µs per unit into a figure, and prints the latter. */
    private static void putCpu(Map<String, Object> figure, Map<String, Object> cpuSeconds, long units, String unit) {
        Map<String, Object> per = ProcessCpu.microsPer(cpuSeconds, units);
        figure.put("cpu_seconds", cpuSeconds);
        figure.put("cpu_us_per_" + unit, per);
        say("  CPU per " + unit + ": " + ProcessCpu.describe(per));
    }

    /**
     * A wrk phase: warms up in 5 s rounds until the rate is stable (the last three rounds within 5 %
     * of their mean, after at least warmup-min seconds; at most warmup-max), then measures for the
     * phase's seconds. GET when {@code body} is null, else a JSON POST.
     */
    private Map<String, Object> wrkPhase(String url, String key, String body, ProcessCpu cpu) throws Exception {
        Path script = state.resolve("wrk-" + System.nanoTime() + ".lua");
        StringBuilder lua = new StringBuilder();
        if (body != null) {
            lua.append("wrk.method = \"POST\"\nwrk.body = '").append(body).append("'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n");
        }
        if (key != null) {
            lua.append("wrk.headers[\"Authorization\"] = \"Bearer ").append(key).append("\"\n");
        }
        Files.writeString(script, lua.toString());
        List<String> command = List.of("wrk", "-t2", "-c" + concurrency, "--latency", "-s", script.toString(), url);
        List<Double> warmRates = new ArrayList<>();
        long warmStart = System.nanoTime();
        while (true) {
            List<String> round = new ArrayList<>(command);
            round.add(1, "-d5s");
            warmRates.add(Double.parseDouble(match(exec(round), "Requests/sec:\\s+([0-9.]+)")));
            double elapsed = (System.nanoTime() - warmStart) / 1e9;
            if ((elapsed >= warmupMin && stable(warmRates)) || elapsed >= warmupMax) {
                break;
            }
        }
        List<String> measured = new ArrayList<>(command);
        measured.add(1, "-d" + seconds + "s");
        Map<String, Long> before = cpu.snapshot();
        String out = exec(measured);
        Map<String, Object> cpuSeconds = ProcessCpu.seconds(before, cpu.snapshot());
        long requests = Long.parseLong(match(out, "([0-9]+) requests in"));
        Map<String, Object> figure = new LinkedHashMap<>();
        figure.put("client", "wrk");
        figure.put("events_per_second", round(Double.parseDouble(match(out, "Requests/sec:\\s+([0-9.]+)"))));
        figure.put("p50_ms", wrkMillis(match(out, "50%\\s+([0-9.]+[a-z]+)")));
        figure.put("p99_ms", wrkMillis(match(out, "99%\\s+([0-9.]+[a-z]+)")));
        figure.put("non_2xx", out.contains("Non-2xx") ? Long.parseLong(match(out, "Non-2xx or 3xx responses: ([0-9]+)")) : 0);
        figure.put("requests", requests);
        figure.put("concurrency", concurrency);
        figure.put("warm_up_rates_per_5s", warmRates);
        say(String.format(Locale.ROOT, "  %.0f/s (warm-up rounds: %s), p50 %s ms, p99 %s ms", figure.get("events_per_second"), warmRates,
                figure.get("p50_ms"), figure.get("p99_ms")));
        putCpu(figure, cpuSeconds, requests, "request");
        return figure;
    }

    /**
     * One connection's latency for {@code ONE_CONNECTION_SECONDS} (wrk, one thread, one connection;
     * JSON POST); with {@code arrivals}, also how many webhooks arrived meanwhile.
     */
    private Map<String, Object> oneConnection(String url, String key, String body, AtomicLong arrivals) throws Exception {
        Path script = state.resolve("wrk-one-" + System.nanoTime() + ".lua");
        Files.writeString(script, "wrk.method = \"POST\"\nwrk.body = '" + body + "'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
                + "wrk.headers[\"Authorization\"] = \"Bearer " + key + "\"\n");
        long arrivedBefore = arrivals == null ? 0 : arrivals.get();
        long started = System.nanoTime();
        String out = exec(List.of("wrk", "-t1", "-c1", "-d" + ONE_CONNECTION_SECONDS + "s", "--latency", "-s", script.toString(), url));
        double took = (System.nanoTime() - started) / 1e9;
        Map<String, Object> figure = new LinkedHashMap<>();
        figure.put("requests_per_second", round(Double.parseDouble(match(out, "Requests/sec:\\s+([0-9.]+)"))));
        figure.put("p50_ms", wrkMillis(match(out, "50%\\s+([0-9.]+[a-z]+)")));
        figure.put("p99_ms", wrkMillis(match(out, "99%\\s+([0-9.]+[a-z]+)")));
        if (arrivals != null) {
            figure.put("webhooks_per_second_meanwhile", round((arrivals.get() - arrivedBefore) / took));
        }
        return figure;
    }

    private static final int ONE_CONNECTION_SECONDS = 5;

    /**
     * Whether warm-up rounds' rates are stable: the last three within 5 % of their mean (two rounds
     * within 10 % stopped a GET /v1/me warm-up at 1 875/s that then measured 2 716/s).
     */
    private static boolean stable(List<Double> rates) {
        int n = rates.size();
        if (n < 3) {
            return false;
        }
        List<Double> last = rates.subList(n - 3, n);
        double mean = last.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        return last.stream().allMatch(rate -> Math.abs(rate - mean) <= 0.05 * mean);
    }

    /** This run's JFR recording of an app. */
    private Path recording(String name) {
        return state.resolve(name + "-" + startedAt + ".jfr");
    }

    /** Renders each app's JFR recording as a CPU flame graph next to the results (jfr-converter). */
    private void flameGraphs() throws Exception {
        String converter = args.get("jfr-converter");
        String stamp = Instant.now().toString().replace(":", "").replaceAll("\\..*", "");
        for (String name : List.of("api", "worker")) {
            Path recording = recording(name);
            if (converter == null || !Files.exists(recording)) {
                continue;
            }
            Path html = Path.of(args.getOrDefault("results", "bench/results")).resolve("flame-" + name + "-" + stamp + ".html");
            // Without an event option jfr-converter reads the JDK's execution samples (on-CPU Java stacks);
            // its --cpu means the CPU-time samples only JDK 25 can record.
            // Threads waiting (in epoll, parked) are sampled too, as native-method samples: left out.
            String idle = ".*(epollWait|Unsafe.park|EPoll.wait|Object.wait).*";
            exec(List.of("java", "-jar", converter, "-X", idle, "--title", "Triggers " + name + ", " + args.getOrDefault("java", "java")
                    + " (bench/throughput.sh " + startedAt + ", on-CPU samples)", recording.toString(), html.toString()));
            Path collapsed = state.resolve(name + "-" + startedAt + ".collapsed");
            exec(List.of("java", "-jar", converter, "-X", idle, "-o", "collapsed", recording.toString(), collapsed.toString()));
            say("flame graph of the " + name + ": " + html + "; top frames (self time):");
            topFrames(collapsed, 15).forEach(line -> System.out.println("    " + line));
        }
    }

    /** The frames with the most samples at the top of their stack, from a collapsed-stacks file. */
    private static List<String> topFrames(Path collapsed, int count) throws IOException {
        Map<String, Long> self = new java.util.HashMap<>();
        long total = 0;
        for (String line : Files.readAllLines(collapsed)) {
            int space = line.lastIndexOf(' ');
            if (space < 0) {
                continue;
            }
            long samples = Long.parseLong(line.substring(space + 1).trim());
            String stack = line.substring(0, space);
            self.merge(stack.substring(stack.lastIndexOf(';') + 1), samples, Long::sum);
            total += samples;
        }
        long all = total;
        return self.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(count)
                .map(e -> String.format(Locale.ROOT, "%5.1f %%  %s", 100.0 * e.getValue() / all, e.getKey())).toList();
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

    private Map<String, Object> single(String api, String key, String body) throws Exception {
        if (hasWrk()) {
            return wrkPhase(api + "/v1/events", key, body, meters("api", apiProcess, null));
        }
        long[] warmUp = load(api + "/v1/events", key, body, concurrency, Duration.ofSeconds(warmupMin), null);
        ProcessCpu cpu = meters("api", apiProcess, null);
        Map<String, Long> before = cpu.snapshot();
        long[] latencies = load(api + "/v1/events", key, body, concurrency, Duration.ofSeconds(seconds), null);
        Map<String, Object> figure = latencyFigure(latencies, seconds);
        figure.put("concurrency", concurrency);
        figure.put("events", latencies.length + warmUp.length);
        putCpu(figure, ProcessCpu.seconds(before, cpu.snapshot()), latencies.length, "request");
        return figure;
    }

    private Map<String, Object> batch(String api, String key) throws Exception {
        int size = Integer.parseInt(args.getOrDefault("batch-size", "100"));
        String body = batchBody(size, "bench.batch");
        int batchConcurrency = Integer.parseInt(args.getOrDefault("batch-concurrency", "8"));
        load(api + "/v1/events/batch", key, body, batchConcurrency, Duration.ofSeconds(warmupMin), null);
        ProcessCpu cpu = meters("api", apiProcess, null);
        Map<String, Long> before = cpu.snapshot();
        long[] latencies = load(api + "/v1/events/batch", key, body, batchConcurrency, Duration.ofSeconds(seconds), null);
        Map<String, Object> cpuSeconds = ProcessCpu.seconds(before, cpu.snapshot());
        Map<String, Object> figure = new LinkedHashMap<>();
        figure.put("batch_size", size);
        figure.put("concurrency", batchConcurrency);
        figure.put("events", (long) latencies.length * size);
        figure.put("events_per_second", round((double) latencies.length * size / seconds));
        figure.put("request_p50_ms", percentile(latencies, 50));
        figure.put("request_p99_ms", percentile(latencies, 99));
        say(String.format(Locale.ROOT, "  %.0f events/s", figure.get("events_per_second")));
        putCpu(figure, cpuSeconds, (long) latencies.length * size, "event");
        return figure;
    }

    /**
     * Many threads each sending single events through {@code client.producer()}, which batches them
     * (bench/ProducerLoad.java, in a JVM of its own with the client on its class path): compared
     * with {@code batch}, what an application gets without writing batches itself.
     */
    private Map<String, Object> producer(String api, String key) throws Exception {
        int threads = Integer.parseInt(args.getOrDefault("producer-threads", "16"));
        ProcessCpu cpu = meters("api", apiProcess, null);
        Map<String, Long> before = cpu.snapshot();
        Process load = new ProcessBuilder("java", "-cp", args.get("client-classpath") + java.io.File.pathSeparator + state.resolve("classes"),
                "ProducerLoad", api, key, Integer.toString(threads), Integer.toString(warmupMin), Integer.toString(seconds))
                .redirectErrorStream(true).start();
        String output = new String(load.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (load.waitFor() != 0) {
            throw new IllegalStateException("the producer load failed: " + output);
        }
        // The CPU window includes the warm-up; per-event CPU is therefore not reported for this phase.
        ProcessCpu.seconds(before, cpu.snapshot());
        long events = Long.parseLong(match(output, "events=(\\d+)"));
        double elapsed = Double.parseDouble(match(output, "seconds=([0-9.]+)"));
        Map<String, Object> figure = new LinkedHashMap<>();
        figure.put("threads", threads);
        figure.put("events", events);
        figure.put("failed", Long.parseLong(match(output, "failed=(\\d+)")));
        figure.put("events_per_second", round(events / elapsed));
        say(String.format(Locale.ROOT, "  %.0f events/s", figure.get("events_per_second")));
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
        // Warm-up at the same rate (the worker has just drained the backlog; the api idled meanwhile).
        long beforeWarmUp = received.get();
        long[] warmUp = load(api + "/v1/events", key, null, concurrency, Duration.ofSeconds(warmupMin), rate);
        waitForArrivals(beforeWarmUp + warmUp.length, Duration.ofMinutes(2));
        long before = received.get();
        endToEnd.clear();
        ProcessCpu cpu = meters("api", apiProcess, workerProcess);
        Map<String, Long> cpuBefore = cpu.snapshot();
        long[] latencies = load(api + "/v1/events", key, null, concurrency, Duration.ofSeconds(seconds), rate);
        waitForArrivals(before + latencies.length, Duration.ofMinutes(2));
        Map<String, Object> cpuSeconds = ProcessCpu.seconds(cpuBefore, cpu.snapshot());
        long[] e2e = endToEnd.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(e2e);
        Map<String, Object> figure = new LinkedHashMap<>();
        figure.put("target_rate", rate);
        figure.put("achieved_rate", round((double) latencies.length / seconds));
        figure.put("events", e2e.length);
        figure.put("p50_ms", percentileOfSorted(e2e, 50));
        figure.put("p99_ms", percentileOfSorted(e2e, 99));
        figure.put("max_ms", e2e.length == 0 ? 0 : round(e2e[e2e.length - 1] / 1e6));
        say(String.format(Locale.ROOT, "  p50 %s ms, p99 %s ms at %s/s", figure.get("p50_ms"), figure.get("p99_ms"), figure.get("achieved_rate")));
        putCpu(figure, cpuSeconds, latencies.length, "event");
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
                synchronized (arrivals) {
                    arrivals.computeIfAbsent("last", k -> new AtomicLong()).set(now);
                    arrivals.computeIfAbsent("first", k -> new AtomicLong(now));
                }
                // Counted after the times are set: a waiter that sees the count finds them.
                received.incrementAndGet();
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
        List<String> command = new ArrayList<>(List.of(args.getOrDefault("java", "java"), "-Xmx1g"));
        if (profile && !name.equals("floor")) {
            command.add("-XX:StartFlightRecording=filename=" + recording(name) + ",settings=profile,dumponexit=true");
        }
        command.addAll(List.of("-jar", jar, "--server.port=" + port,
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

    private void awaitLive(String base, Process process, String path) throws Exception {
        HttpRequest probe = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(1)).build();
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

    /** An organization with one endpoint, to the receiver; returns its key. */
    private String setUp(String api, String receiver) throws Exception {
        String key = organization(api);
        // endpoint-max-in-flight: the endpoint's max_in_flight (the service's default, 16, when not given).
        String maxInFlight = args.containsKey("endpoint-max-in-flight") && !args.get("endpoint-max-in-flight").isEmpty()
                ? ",\"max_in_flight\":" + args.get("endpoint-max-in-flight") : "";
        post(api + "/v1/endpoints", key, "{\"url\":\"" + receiver + "\"" + maxInFlight + "}");
        return key;
    }

    /** A new organization without a rate limit; returns its key. */
    private String organization(String api) throws Exception {
        String organization = post(api + "/v1/organizations", args.get("admin-token"), "{\"name\":\"bench-" + System.nanoTime() + "\",\"rate_limit_per_minute\":0}");
        Matcher key = Pattern.compile("\"key\":\"([^\"]+)\"").matcher(organization);
        if (!key.find()) {
            throw new IllegalStateException("no key in " + organization);
        }
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

    /** A PUT that must answer 200. */
    private String put(String url, String bearer, String body) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + bearer)
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    private static String exec(List<String> command) throws Exception {
        return ProcessCpu.exec(command);
    }

    private Map<String, Object> machine() throws Exception {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cpus", Runtime.getRuntime().availableProcessors());
        String model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        machine.put("cpu", model);
        machine.put("java", System.getProperty("java.version"));
        machine.put("apps_java", exec(List.of(args.getOrDefault("java", "java"), "-version")).lines().findFirst().orElse("?"));
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
        Map<String, Object> floor = (Map<String, Object>) results.get("floor");
        Map<String, Object> me = (Map<String, Object>) results.get("me");
        Map<String, Object> bare = (Map<String, Object>) results.get("single_ingestion_no_endpoint");
        Double floorRate = floor == null ? null : (Double) floor.get("events_per_second");
        if (floor != null) {
            rows.add(row("floor: bare WebFlux GET (requests/s)", floorRate, "", "", null));
            rows.add(row("  floor CPU per request (µs)", micros(floor, "request", "floor"), "", "", null));
        }
        if (me != null) {
            rows.add(row("GET /v1/me (requests/s)", me.get("events_per_second"), "", "floor", floorRate));
            rows.add(row("  api CPU per request (µs)", micros(me, "request", "api"), "", "", null));
        }
        if (bare != null) {
            rows.add(row("single ingestion, no endpoint (events/s)", bare.get("events_per_second"), "", "floor", floorRate));
            rows.add(row("  api / postgres CPU per event (µs)", micros(bare, "request", "api") + " / " + micros(bare, "request", "postgres"), "", "", null));
        }
        if (single != null) {
            rows.add(row("single ingestion, one endpoint (events/s)", single.get("events_per_second"), ">= 0.4 floor", "floor", floorRate));
            ratio(ratios, "single_ingestion_to_floor", single.get("events_per_second"), floorRate);
            rows.add(row("  api / postgres CPU per event (µs)", micros(single, "request", "api") + " / " + micros(single, "request", "postgres"),
                    "150 / 80", "", null));
            rows.add(row("  vs pgbench 1-row INSERT", single.get("events_per_second"), "10000", "pgbench 1-row INSERT", pg1));
            rows.add(row("  p50 / p99 (ms)", single.get("p50_ms") + " / " + single.get("p99_ms"), "p99 <= 20", "", null));
            ratio(ratios, "single_ingestion_to_pg_insert_1", single.get("events_per_second"), pg1);
        }
        if (batch != null) {
            rows.add(row("batch ingestion (events/s)", batch.get("events_per_second"), "50000", "pgbench 100-row INSERT (rows/s)", pg100));
            rows.add(row("  api / postgres CPU per event (µs)", micros(batch, "event", "api") + " / " + micros(batch, "event", "postgres"), "", "", null));
            ratio(ratios, "batch_ingestion_to_pg_insert_100", batch.get("events_per_second"), pg100);
        }
        if (delivery != null) {
            rows.add(row("delivery (webhooks/s)", delivery.get("webhooks_per_second"), "5000", "pgbench 1-row INSERT", pg1));
            rows.add(row("  worker / postgres CPU per webhook (µs)", micros(delivery, "webhook", "worker") + " / "
                    + micros(delivery, "webhook", "postgres"), "200 / 100", "", null));
            ratio(ratios, "delivery_to_pg_insert_1", delivery.get("webhooks_per_second"), pg1);
        }
        Map<String, Object> one = (Map<String, Object>) results.get("one_connection_ingest");
        if (one != null && one.get("worker_delivering") instanceof Map<?, ?> delivering && one.get("worker_stopped") instanceof Map<?, ?> stopped) {
            rows.add(row("one connection POST /v1/events p50 (ms), worker stopped / delivering", stopped.get("p50_ms") + " / "
                    + delivering.get("p50_ms"), "- / 2", "(" + delivering.get("webhooks_per_second_meanwhile") + " webhooks/s meanwhile)", null));
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

    /** A process's CPU µs per unit in a figure, as text ("-" when not measured). */
    @SuppressWarnings("unchecked")
    private static String micros(Map<String, Object> figure, String unit, String process) {
        Object per = figure.get("cpu_us_per_" + unit);
        Object value = per instanceof Map<?, ?> map ? ((Map<String, Object>) map).get(process) : null;
        return value == null ? "-" : String.format(Locale.ROOT, "%.0f", (Double) value);
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
        if (value instanceof java.util.Collection<?> list) {
            return "[" + String.join(",", list.stream().map(Throughput::toJson).toList()) + "]";
        }
        if (value == null) {
            return "null";
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        return "\"" + String.valueOf(value).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
