import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The figures of the capacity model (README, "Scaling"; issue 18): what one event and one webhook
 * cost PostgreSQL in writes (rows, commits, WAL bytes) and Redis in memory (a queued delivery, an
 * idempotency key). With the api alone (no worker, so everything stays queued) it ingests
 * {@code events} single events, then as many with an {@code Idempotency-Key} each, then as many in
 * batches of 500; then starts a worker and lets it deliver them all to a receiver that answers 200 at
 * once. After each phase it waits until PostgreSQL's statistics stop moving and reads
 * pg_stat_database, pg_stat_user_tables, the WAL position and Redis's used_memory. One endpoint: one
 * webhook per event. Run it through bench/capacity.sh; writes bench/results/capacity-<time>.json.
 */
public final class Capacity {

    public static void main(String[] arguments) throws Exception {
        BenchSupport bench = new BenchSupport(arguments);
        bench.main(() -> new Capacity(bench).run());
    }

    /** What PostgreSQL and Redis had written and held at one moment. */
    private record Snapshot(long commits, Map<String, long[]> tables, long walBytes, long redisUsedMemory) {
    }

    private static final List<String> TABLES = List.of("events", "deliveries", "delivery_attempts");

    private final BenchSupport bench;
    private final Map<String, String> args;
    private final AtomicLong received = new AtomicLong();

    private Capacity(BenchSupport bench) {
        this.bench = bench;
        this.args = bench.args;
    }

    private void run() throws Exception {
        int events = bench.number("events", 20000);
        String receiver = BenchSupport.startReceiver(0, 16, received, "/capacity");
        String api = bench.startApi("capacity-api").url();
        String key = bench.organization(api, "capacity");
        bench.post(api + "/v1/endpoints", key, "{\"url\":\"" + receiver + "\"}", 201);
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("started_at", Instant.now().toString());
        results.put("events_per_phase", events);
        results.put("postgres", psql("SHOW server_version").trim());
        results.put("redis", redis("INFO", "server").lines().filter(l -> l.startsWith("redis_version:")).findFirst().orElse("?").trim());
        results.put("indexes", psql("SELECT string_agg(tablename || ':' || n, ' ') FROM (SELECT tablename, count(*) n FROM pg_indexes "
                + "WHERE schemaname = 'public' AND tablename IN ('events', 'deliveries', 'delivery_attempts') GROUP BY tablename) i").trim());

        Snapshot before = settled();
        ingestSingles(api, key, events, false);
        Snapshot queued = settled();
        results.put("single_ingest_per_event", perUnit(before, queued, events));
        double queueBytes = (queued.redisUsedMemory() - before.redisUsedMemory()) / (double) events;

        ingestSingles(api, key, events, true);
        Snapshot idempotent = settled();
        Map<String, Object> withKeys = perUnit(queued, idempotent, events);
        double bothBytes = (idempotent.redisUsedMemory() - queued.redisUsedMemory()) / (double) events;
        withKeys.put("redis_bytes_per_idempotency_key", BenchSupport.round(bothBytes - queueBytes));
        withKeys.put("redis_memory_usage_of_an_idempotency_key", averageMemoryUsage(args.get("prefix") + ":idempotency:*", 200));
        results.put("idempotent_ingest_per_event", withKeys);

        ingestBatches(api, key, events);
        Snapshot batched = settled();
        results.put("batch_ingest_per_event", perUnit(idempotent, batched, events));

        long total = 3L * events;
        Map<String, Object> redisQueue = new LinkedHashMap<>();
        redisQueue.put("bytes_per_queued_delivery", BenchSupport.round(queueBytes));
        redisQueue.put("used_memory_bytes_with_all_queued", batched.redisUsedMemory() - before.redisUsedMemory());
        results.put("redis_queue", redisQueue);

        BenchSupport.say("starting a worker to deliver " + total + " webhooks");
        long deliverFrom = System.nanoTime();
        bench.startWorker("capacity-worker", List.of());
        while (received.get() < total || delivered() < total) {
            Thread.sleep(500);
            if (System.nanoTime() - deliverFrom > 600_000_000_000L) {
                throw new IllegalStateException("not delivered in 10 minutes: " + received.get() + " of " + total);
            }
        }
        Snapshot drained = settled();
        Map<String, Object> perWebhook = perUnit(batched, drained, total);
        perWebhook.put("redis_used_memory_freed_bytes", batched.redisUsedMemory() - drained.redisUsedMemory());
        results.put("delivery_per_webhook", perWebhook);
        results.put("webhooks_received", received.get());
        BenchSupport.say("results: " + bench.write("capacity", results));
        BenchSupport.say(BenchSupport.toJson(results));
    }

    /** Per event or webhook: commits, rows inserted/updated (HOT)/deleted per table, WAL bytes, Redis bytes. */
    private static Map<String, Object> perUnit(Snapshot from, Snapshot to, long units) {
        Map<String, Object> per = new LinkedHashMap<>();
        per.put("commits", BenchSupport.round((to.commits() - from.commits()) / (double) units));
        for (String table : TABLES) {
            long[] a = from.tables().get(table);
            long[] b = to.tables().get(table);
            per.put(table + "_inserted", BenchSupport.round((b[0] - a[0]) / (double) units));
            per.put(table + "_updated", BenchSupport.round((b[1] - a[1]) / (double) units));
            per.put(table + "_hot_updated", BenchSupport.round((b[2] - a[2]) / (double) units));
            per.put(table + "_deleted", BenchSupport.round((b[3] - a[3]) / (double) units));
        }
        per.put("wal_bytes", BenchSupport.round((to.walBytes() - from.walBytes()) / (double) units));
        per.put("redis_used_memory_bytes", BenchSupport.round((to.redisUsedMemory() - from.redisUsedMemory()) / (double) units));
        return per;
    }

    /** A snapshot once PostgreSQL's cumulative statistics have stopped moving (backends flush them within about 10 s of going idle). */
    private Snapshot settled() throws Exception {
        Snapshot last = snapshot();
        for (int i = 0; i < 15; i++) {
            Thread.sleep(2000);
            Snapshot now = snapshot();
            if (now.commits() == last.commits() && sameTables(now, last)) {
                return now;
            }
            last = now;
        }
        return last;
    }

    private static boolean sameTables(Snapshot a, Snapshot b) {
        return TABLES.stream().allMatch(table -> java.util.Arrays.equals(a.tables().get(table), b.tables().get(table)));
    }

    private Snapshot snapshot() throws Exception {
        String commits = psql("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").trim();
        Map<String, long[]> tables = new LinkedHashMap<>();
        for (String row : psql("SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables "
                + "WHERE relname IN ('events', 'deliveries', 'delivery_attempts')").trim().split("\n")) {
            String[] f = row.split("\\|");
            tables.put(f[0], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4])});
        }
        long wal = Long.parseLong(psql("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint").trim());
        long used = Long.parseLong(redis("INFO", "memory").lines().filter(l -> l.startsWith("used_memory:"))
                .findFirst().orElseThrow().substring("used_memory:".length()).trim());
        return new Snapshot(Long.parseLong(commits), tables, wal, used);
    }

    private long delivered() throws Exception {
        return Long.parseLong(psql("SELECT count(*) FROM deliveries WHERE status = 'delivered'").trim());
    }

    private double averageMemoryUsage(String pattern, int sample) throws Exception {
        List<String> keys = redis("--scan", "--pattern", pattern).lines().limit(sample).toList();
        long sum = 0;
        for (String key : keys) {
            sum += Long.parseLong(redis("MEMORY", "USAGE", key, "SAMPLES", "0").trim());
        }
        return keys.isEmpty() ? 0 : BenchSupport.round(sum / (double) keys.size());
    }

    private void ingestSingles(String api, String key, int count, boolean idempotencyKeys) throws Exception {
        BenchSupport.say("ingesting " + count + " single events" + (idempotencyKeys ? " with an Idempotency-Key each" : ""));
        Semaphore inFlight = new Semaphore(32);
        List<CompletableFuture<?>> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api + "/v1/events"))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"event_type\":\"capacity.single\",\"payload\":{\"order\":" + i
                            + ",\"amount\":1999,\"currency\":\"EUR\"}}"));
            if (idempotencyKeys) {
                request.header("Idempotency-Key", UUID.randomUUID().toString());
            }
            inFlight.acquire();
            calls.add(bench.http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
                    .whenComplete((response, error) -> inFlight.release())
                    .thenAccept(response -> {
                        if (response.statusCode() != 201) {
                            throw new IllegalStateException("ingest answered " + response.statusCode() + ": " + response.body());
                        }
                    }));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
    }

    private void ingestBatches(String api, String key, int count) throws Exception {
        BenchSupport.say("ingesting " + count + " events in batches of 500");
        for (int sent = 0; sent < count; sent += 500) {
            StringBuilder batch = new StringBuilder("{\"events\":[");
            for (int i = sent; i < Math.min(count, sent + 500); i++) {
                batch.append(i == sent ? "" : ",").append("{\"event_type\":\"capacity.batch\",\"payload\":{\"order\":").append(i)
                        .append(",\"amount\":1999,\"currency\":\"EUR\"}}");
            }
            bench.post(api + "/v1/events/batch", key, batch.append("]}").toString(), 200);
        }
    }

    private String psql(String sql) throws Exception {
        return command(List.of("psql", "-h", args.getOrDefault("pg-host", "localhost"), "-p", args.getOrDefault("pg-port", "5432"),
                "-U", args.getOrDefault("pg-user", "postgres"), "-d", args.get("database"), "-w", "-At", "-c", sql));
    }

    private String redis(String... command) throws Exception {
        List<String> line = new ArrayList<>(List.of("redis-cli", "-h", args.getOrDefault("redis-host", "127.0.0.1"),
                "-p", args.getOrDefault("redis-port", "6379")));
        line.addAll(List.of(command));
        return command(line);
    }

    private static String command(List<String> line) throws Exception {
        Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException(line.get(0) + " failed: " + out);
        }
        return out;
    }
}
