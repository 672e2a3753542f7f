import com.sun.net.httpserver.HttpServer;
import java.io.File;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chaos run behind scripts/chaos.sh: drives events into the api replicas for a set time while
 * killing (SIGKILL) and restarting an api, a worker or Redis, or crashing and restarting PostgreSQL
 * ({@code pg_ctl stop -m immediate}, when given pg-start and pg-stop commands), at random; then
 * waits for the backlog to drain and prints how many events were accepted, delivered, delivered
 * more than once and lost. Exits 1 when any accepted event was lost. JDK only:
 * java scripts/Chaos.java key=value...
 */
public class Chaos {

    private static final Pattern EVENT_ID = Pattern.compile("\"event_id\":\"([0-9a-f-]{36})\"");
    private static final Pattern KEY = Pattern.compile("\"key\":\"([^\"]+)\"");

    public static void main(String[] arguments) throws Exception {
        Map<String, String> args = new HashMap<>();
        for (String argument : arguments) {
            int eq = argument.indexOf('=');
            args.put(argument.substring(0, eq), argument.substring(eq + 1));
        }
        new Chaos(args).run();
    }

    private final int seconds;
    private final int rate;
    private final int failPercent;
    private final int drainSeconds;
    private final long seed;
    private final Path state;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).executor(Executors.newFixedThreadPool(4)).build();
    private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    private final Set<String> accepted = ConcurrentHashMap.newKeySet();
    private final AtomicLong refused = new AtomicLong();
    private final Map<String, Integer> kills = new ConcurrentHashMap<>();
    private final Managed redis;
    private final Managed postgres;
    private final List<Managed> apis = new ArrayList<>();
    private final List<Managed> workers = new ArrayList<>();
    private final AtomicLong nextApi = new AtomicLong();
    // At least 32 characters, or the api keeps operator routes closed.
    private final String adminToken = "chaos-" + java.util.UUID.randomUUID() + java.util.UUID.randomUUID();

    Chaos(Map<String, String> args) throws IOException {
        seconds = Integer.parseInt(args.getOrDefault("seconds", "300"));
        rate = Integer.parseInt(args.getOrDefault("rate", "200"));
        failPercent = Integer.parseInt(args.getOrDefault("fail-percent", "1"));
        drainSeconds = Integer.parseInt(args.getOrDefault("drain-seconds", "240"));
        seed = Long.parseLong(args.getOrDefault("seed", Long.toString(System.currentTimeMillis())));
        state = Files.createDirectories(Path.of(args.getOrDefault("state", ".triggers/chaos")));
        int redisPort = freePort();
        redis = new Managed("redis", List.of(args.getOrDefault("redis-server", "redis-server"), "--port", Integer.toString(redisPort),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", state.toAbsolutePath().toString()), null, null);
        List<String> common = List.of(
                "--spring.r2dbc.url=r2dbc:postgresql://" + args.get("pg") + "/" + args.get("database"),
                "--spring.r2dbc.username=" + args.getOrDefault("pg-user", "postgres"),
                "--spring.flyway.url=jdbc:postgresql://" + args.get("pg") + "/" + args.get("database"),
                "--spring.flyway.user=" + args.getOrDefault("pg-user", "postgres"),
                "--spring.data.redis.url=redis://127.0.0.1:" + redisPort,
                "--triggers.redis.key-prefix=chaos",
                "--triggers.encryption-keys=chaos:" + newEncryptionKey(),
                "--triggers.delivery.allow-private-targets=true",
                "--triggers.delivery.retry-schedule=1s,2s,5s,10s,20s,30s,1m,2m");
        for (int i = 0; i < Integer.parseInt(args.getOrDefault("apis", "2")); i++) {
            int apiPort = freePort();
            int apiManagementPort = freePort();
            List<String> apiCommand = new ArrayList<>(List.of("java", "-Xmx512m", "-jar", args.get("api-jar"), "--server.port=" + apiPort,
                    "--management.server.port=" + apiManagementPort, "--triggers.admin-token=" + adminToken));
            apiCommand.addAll(common);
            apis.add(new Managed("api-" + (i + 1), apiCommand, "http://127.0.0.1:" + apiPort, "http://127.0.0.1:" + apiManagementPort));
        }
        // PostgreSQL is the run's own instance when chaos.sh made one: stopped in immediate mode (a
        // crash: no checkpoint, recovery from the WAL at start) and started again with these commands.
        postgres = args.containsKey("pg-start") ? new Managed("postgres", args.get("pg-start"), args.get("pg-stop"), args.get("pg")) : null;
        for (int i = 0; i < Integer.parseInt(args.getOrDefault("workers", "2")); i++) {
            int port = freePort();
            List<String> command = new ArrayList<>(List.of("java", "-Xmx384m", "-jar", args.get("worker-jar"), "--server.port=" + port));
            command.addAll(common);
            workers.add(new Managed("worker-" + (i + 1), command, "http://127.0.0.1:" + port, "http://127.0.0.1:" + port));
        }
    }

    void run() throws Exception {
        Random random = new Random(seed);
        String receiverUrl = startReceiver();
        redis.start();
        redis.awaitRedis();
        // The first api migrates the schema; the others start once it is up.
        for (Managed api : apis) {
            api.start();
            api.awaitLive();
        }
        for (Managed worker : workers) {
            worker.start();
            worker.awaitLive();
        }
        String key = setUp(receiverUrl);
        log("running for %d s at about %d events/s, seed %d; logs in %s", seconds, rate, seed, state);

        AtomicBoolean loading = new AtomicBoolean(true);
        List<Thread> producers = startLoad(key, loading);
        long endAt = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        List<Managed> targets = new ArrayList<>(workers);
        targets.addAll(apis);
        targets.add(redis);
        if (postgres != null) {
            targets.add(postgres);
        }
        while (System.nanoTime() < endAt) {
            Thread.sleep(3_000 + random.nextInt(9_000));
            if (System.nanoTime() >= endAt) {
                break;
            }
            Managed victim = targets.get(random.nextInt(targets.size()));
            long down = 500 + random.nextInt(3_500);
            log("kill -9 %s, back in %d ms (accepted so far %d, delivered %d)", victim.name, down, accepted.size(), deliveredCount());
            victim.kill();
            kills.merge(victim.name, 1, Integer::sum);
            Thread.sleep(down);
            victim.start();
            victim.awaitReady();
        }
        loading.set(false);
        for (Thread producer : producers) {
            producer.join();
        }
        log("load stopped: %d accepted, %d requests refused or cut off; draining (up to %d s)", accepted.size(), refused.get(), drainSeconds);
        long drainUntil = System.nanoTime() + Duration.ofSeconds(drainSeconds).toNanos();
        long lastReport = 0;
        while (missing() > 0 && System.nanoTime() < drainUntil) {
            if (System.nanoTime() - lastReport > 10_000_000_000L) {
                log("waiting for %d events", missing());
                lastReport = System.nanoTime();
            }
            Thread.sleep(200);
        }
        report();
    }

    private String setUp(String receiverUrl) throws Exception {
        String organization = post("/v1/organizations", adminToken, "{\"name\":\"chaos\",\"rate_limit_per_minute\":0}");
        Matcher key = KEY.matcher(organization);
        if (!key.find()) {
            throw new IllegalStateException("no API key in " + organization);
        }
        post("/v1/endpoints", key.group(1), "{\"url\":\"" + receiverUrl + "\",\"description\":\"chaos receiver\"}");
        return key.group(1);
    }

    private String post(String path, String bearer, String body) throws Exception {
        HttpResponse<String> response = http.send(request(path, bearer, body), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    /** The set-up calls go to the first api; events go to each replica in turn (a load balancer without health checks). */
    private HttpRequest request(String path, String bearer, String body) {
        Managed api = path.equals("/v1/events") ? apis.get((int) (nextApi.getAndIncrement() % apis.size())) : apis.get(0);
        return HttpRequest.newBuilder(URI.create(api.baseUrl + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + bearer).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private List<Thread> startLoad(String key, AtomicBoolean loading) {
        int threads = 8;
        long intervalNanos = 1_000_000_000L * threads / Math.max(1, rate);
        List<Thread> producers = new ArrayList<>();
        AtomicLong sequence = new AtomicLong();
        for (int t = 0; t < threads; t++) {
            Thread producer = new Thread(() -> {
                long next = System.nanoTime();
                while (loading.get()) {
                    String body = "{\"event_type\":\"chaos.tick\",\"payload\":{\"n\":" + sequence.incrementAndGet() + "}}";
                    try {
                        HttpResponse<String> response = http.send(request("/v1/events", key, body), HttpResponse.BodyHandlers.ofString());
                        Matcher id = EVENT_ID.matcher(response.body());
                        if (response.statusCode() == 201 && id.find()) {
                            accepted.add(id.group(1));
                        } else {
                            refused.incrementAndGet();
                        }
                    } catch (IOException | RuntimeException e) {
                        refused.incrementAndGet();
                    } catch (InterruptedException e) {
                        return;
                    }
                    next += intervalNanos;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        sleepNanos(wait);
                    } else {
                        next = System.nanoTime();
                    }
                }
            }, "load-" + t);
            producer.start();
            producers.add(producer);
        }
        return producers;
    }

    private String startReceiver() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
        server.setExecutor(Executors.newFixedThreadPool(32));
        server.createContext("/", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                String id = exchange.getRequestHeaders().getFirst("webhook-id");
                boolean fail = ThreadLocalRandom.current().nextInt(100) < failPercent;
                if (id != null && !fail) {
                    received.computeIfAbsent(id, ignored -> new AtomicInteger()).incrementAndGet();
                }
                byte[] answer = "{}".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(fail ? 503 : 200, answer.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/chaos";
    }

    private long deliveredCount() {
        return accepted.stream().filter(received::containsKey).count();
    }

    private long missing() {
        return accepted.stream().filter(id -> !received.containsKey(id)).count();
    }

    private void report() throws IOException {
        long delivered = deliveredCount();
        long lost = accepted.size() - delivered;
        long duplicates = accepted.stream().mapToLong(id -> received.containsKey(id) ? received.get(id).get() - 1 : 0).sum();
        long notAcceptedButDelivered = received.keySet().stream().filter(id -> !accepted.contains(id)).count();
        String kills = String.join(", ", this.kills.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + " " + e.getValue()).toList());
        System.out.printf("%nchaos run: %d s, seed %d, kills: %s%n", seconds, seed, kills.isEmpty() ? "none" : kills);
        System.out.printf("  accepted    %d%n  delivered   %d%n  duplicated  %d (extra deliveries of accepted events)%n  lost        %d%n",
                accepted.size(), delivered, duplicates, lost);
        System.out.printf("  refused     %d requests (api down, cut off, or 503)%n  unanswered  %d events delivered whose request got no 201%n",
                refused.get(), notAcceptedButDelivered);
        String json = String.format("{\"seconds\":%d,\"seed\":%d,\"rate\":%d,\"kills\":{%s},\"accepted\":%d,\"delivered\":%d,"
                        + "\"duplicated\":%d,\"lost\":%d,\"refused\":%d,\"delivered_unanswered\":%d}%n",
                seconds, seed, rate, String.join(",", this.kills.entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + e.getValue()).toList()),
                accepted.size(), delivered, duplicates, lost, refused.get(), notAcceptedButDelivered);
        Files.writeString(state.resolve("result.json"), json);
        apis.forEach(Managed::kill);
        workers.forEach(Managed::kill);
        redis.kill();
        System.exit(lost == 0 ? 0 : 1);
    }

    /** A random 32-byte key, base64: the run's database is its own, so its key lives as long as the run. */
    private static String newEncryptionKey() {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        return java.util.Base64.getEncoder().encodeToString(key);
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

    private static void sleepNanos(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void log(String format, Object... arguments) {
        System.out.printf("[%tT] %s%n", System.currentTimeMillis(), String.format(format, arguments));
    }

    /**
     * One process the run starts, kills and restarts; its output is appended to state/NAME.log. Or,
     * for PostgreSQL, a service started and crashed by shell commands (pg_ctl) and ready once its
     * port takes connections.
     */
    private final class Managed {
        final String name;
        final List<String> command;
        final String baseUrl;
        /** Where actuator answers: the api's management port, the worker's one port; null for Redis and PostgreSQL. */
        final String actuatorUrl;
        private final String startCommand;
        private final String stopCommand;
        private final String address;
        private volatile Process process;

        Managed(String name, List<String> command, String baseUrl, String actuatorUrl) {
            this.name = name;
            this.command = command;
            this.baseUrl = baseUrl;
            this.actuatorUrl = actuatorUrl;
            this.startCommand = null;
            this.stopCommand = null;
            this.address = null;
        }

        Managed(String name, String startCommand, String stopCommand, String address) {
            this.name = name;
            this.command = List.of();
            this.baseUrl = null;
            this.actuatorUrl = null;
            this.startCommand = startCommand;
            this.stopCommand = stopCommand;
            this.address = address;
        }

        void start() throws IOException {
            File log = state.resolve(name + ".log").toFile();
            if (startCommand != null) {
                shell(startCommand, log);
                return;
            }
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
        }

        private void shell(String script, File log) throws IOException {
            Process shell = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
            try {
                if (shell.waitFor() != 0) {
                    throw new IOException(name + ": '" + script + "' failed; see " + log);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }

        void kill() {
            if (stopCommand != null) {
                try {
                    shell(stopCommand, state.resolve(name + ".log").toFile());
                } catch (IOException e) {
                    log("%s: %s", name, e.getMessage());
                }
                return;
            }
            Process running = process;
            if (running != null && running.isAlive()) {
                running.destroyForcibly();
                try {
                    running.waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        void awaitReady() throws Exception {
            if (address != null) {
                awaitPort(address.substring(address.lastIndexOf(':') + 1));
            } else if (actuatorUrl == null) {
                awaitRedis();
            } else {
                awaitLive();
            }
        }

        void awaitLive() throws Exception {
            HttpRequest probe = HttpRequest.newBuilder(URI.create(actuatorUrl + "/actuator/health/liveness")).timeout(Duration.ofSeconds(1)).build();
            for (int i = 0; i < 1200; i++) {
                if (!process.isAlive()) {
                    log("%s exited (%d), starting it again; see %s", name, process.exitValue(), state.resolve(name + ".log"));
                    start();
                }
                try {
                    if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return;
                    }
                } catch (IOException notYet) {
                    // Still starting.
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException(name + " did not come up; see " + state.resolve(name + ".log"));
        }

        void awaitRedis() throws Exception {
            awaitPort(command.get(command.indexOf("--port") + 1));
        }

        private void awaitPort(String port) throws Exception {
            for (int i = 0; i < 300; i++) {
                try (java.net.Socket socket = new java.net.Socket("127.0.0.1", Integer.parseInt(port))) {
                    return;
                } catch (IOException notYet) {
                    Thread.sleep(100);
                }
            }
            throw new IllegalStateException(name + " did not come up on port " + port);
        }
    }
}
