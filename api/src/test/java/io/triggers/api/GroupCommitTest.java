package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import io.triggers.testing.Prometheus;
import io.triggers.testing.TcpProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Group commit: concurrent single-event requests of several organizations share INSERT
 * statements, each request still gets its own answer, and one organization's idempotency key used
 * by concurrent requests still makes one event.
 */
class GroupCommitTest {

    private static RunningApi api;

    @BeforeAll
    static void start() {
        // One statement at a time, so requests arriving meanwhile must share the next one.
        api = RunningApi.start(Map.of("triggers.ingest.group-commit-max-concurrent", "1"));
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void concurrentRequestsShareStatementsAndEachIsAnsweredForItself() throws Exception {
        String first = api.createOrganization("{\"name\":\"gc-1\",\"rate_limit_per_minute\":0}").get("api_key").get("key").stringValue();
        String second = api.createOrganization("{\"name\":\"gc-2\",\"rate_limit_per_minute\":0}").get("api_key").get("key").stringValue();
        String body = "{\"event_type\":\"order.created\",\"payload\":{\"n\":1}}";
        double statementsBefore = Prometheus.sample(metrics(), "triggers_ingest_statement_events_count");

        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String key = i % 2 == 0 ? first : second;
            // Every tenth request of the first organization reuses one idempotency key.
            Map<String, String> headers = i % 20 == 0 ? Map.of("Idempotency-Key", "shared") : Map.of();
            calls.add(api.sendAsync("POST", "/v1/events", key, body, headers));
        }
        List<Integer> statuses = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> call : calls) {
            statuses.add(call.get().statusCode());
        }

        // 190 unkeyed events and one keyed: the other keyed requests are replays (200) or in flight (409).
        assertThat(statuses.stream().filter(status -> status == 201).count()).isEqualTo(191);
        assertThat(statuses).allMatch(status -> status == 201 || status == 200 || status == 409);
        String organization = api.send("GET", "/v1/me", first, null, Map.of()).json().get("organization_id").stringValue();
        String other = api.send("GET", "/v1/me", second, null, Map.of()).json().get("organization_id").stringValue();
        assertThat(api.queryText("SELECT count(*) FROM events WHERE organization_id IN (?::uuid, ?::uuid)", organization, other))
                .isEqualTo("191");
        double statements = Prometheus.sample(metrics(), "triggers_ingest_statement_events_count") - statementsBefore;
        assertThat(statements).isLessThan(200).isGreaterThanOrEqualTo(1);
        System.out.printf("200 concurrent requests went to PostgreSQL in %.0f statements%n", statements);
    }

    @Test
    void aSingleEventNeverWaitsBehindABatchStatement() throws Exception {
        String noisy = api.createOrganization("{\"name\":\"gc-batches\",\"rate_limit_per_minute\":0}").get("api_key").get("key").stringValue();
        String quiet = api.createOrganization("{\"name\":\"gc-singles\",\"rate_limit_per_minute\":0}").get("api_key").get("key").stringValue();
        String noisyId = api.send("GET", "/v1/me", noisy, null, Map.of()).json().get("organization_id").stringValue();
        try (Connection holder = DriverManager.getConnection(api.database.jdbcUrl(), api.database.user(), api.database.password())) {
            // An open transaction holds the batch's idempotency key: the batch's statement waits for it.
            holder.setAutoCommit(false);
            UUID eventId = UUID.randomUUID();
            try (Statement sql = holder.createStatement()) {
                sql.execute("INSERT INTO events (id, organization_id, event_type, payload, metadata, status, created_at, updated_at) "
                        + "VALUES ('" + eventId + "', '" + noisyId + "', 'held', '{}', '{}', 'pending', now(), now())");
                sql.execute("INSERT INTO idempotency_keys (organization_id, idempotency_key, event_id, request_fingerprint) "
                        + "VALUES ('" + noisyId + "', 'held', '" + eventId + "', '\\x00')");
            }
            CompletableFuture<HttpResponse<String>> batch = api.sendAsync("POST", "/v1/events/batch", noisy,
                    "{\"events\":[{\"event_type\":\"a\",\"payload\":{},\"idempotency_key\":\"held\"},{\"event_type\":\"b\",\"payload\":{}}]}",
                    Map.of());
            await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(api.queryText(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
                            + "AND query LIKE '%INSERT INTO idempotency_keys%'")));

            // One statement at a time per lane: the single event goes to PostgreSQL beside the stuck batch
            // statement. Sharing one lane, it would wait behind it and be answered 503 after store-timeout.
            RunningApi.Answer single = api.send("POST", "/v1/events", quiet, "{\"event_type\":\"order.created\",\"payload\":{}}", Map.of());
            assertThat(single.status()).isEqualTo(201);
            assertThat(batch).isNotDone();
            holder.rollback();
            assertThat(batch.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void requestsAnswered503WhileQueuedAreNotStoredAfterwards() throws Exception {
        String key = api.createOrganization("{\"name\":\"gc-abandoned\",\"rate_limit_per_minute\":0}").get("api_key").get("key").stringValue();
        String organization = api.send("GET", "/v1/me", key, null, Map.of()).json().get("organization_id").stringValue();
        // A second replica whose PostgreSQL connections go through a proxy that will stop answering.
        try (TcpProxy postgres = new TcpProxy(api.database.host(), api.database.port());
             RunningApi replica = RunningApi.alongside(api, Map.of(
                     "spring.r2dbc.url", "r2dbc:postgresql://" + postgres.host() + ":" + postgres.port() + "/" + api.database.name(),
                     "triggers.ingest.group-commit-max-concurrent", "1",
                     "triggers.ingest.store-timeout", "500ms"))) {
            assertThat(replica.send("POST", "/v1/events", key, "{\"event_type\":\"warm\",\"payload\":{}}", Map.of()).status()).isEqualTo(201);
            postgres.hang();
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                calls.add(replica.sendAsync("POST", "/v1/events", key, "{\"event_type\":\"queued\",\"payload\":{}}", Map.of()));
            }
            for (CompletableFuture<HttpResponse<String>> call : calls) {
                assertThat(call.get().statusCode()).isEqualTo(503);
            }
            // The hung statement fails when the proxy lets go; the queue behind it was abandoned.
            postgres.restore();
            // Connections cut by the restore may fail a request or two before the pool replaces them.
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    replica.send("POST", "/v1/events", key, "{\"event_type\":\"after\",\"payload\":{}}", Map.of()).status() == 201);
        }
        assertThat(api.queryText("SELECT count(*) FROM events WHERE organization_id = ?::uuid AND event_type = 'queued'", organization))
                .isEqualTo("0");
    }

    @Test
    void whilePostgresHangsForAMinuteUnderLoadMemoryStaysFlatEveryCallerGets503AndNothingAnswered503IsStored() throws Exception {
        String key = api.createOrganization("{\"name\":\"gc-stalled\",\"rate_limit_per_minute\":0}").get("api_key").get("key").stringValue();
        String organization = api.send("GET", "/v1/me", key, null, Map.of()).json().get("organization_id").stringValue();
        // Room for a few of the 200 KB requests below; the other callers are refused at once.
        long queueBytes = 2L * 1024 * 1024;
        try (TcpProxy postgres = new TcpProxy(api.database.host(), api.database.port());
             RunningApi replica = RunningApi.alongside(api, Map.of(
                     "spring.r2dbc.url", "r2dbc:postgresql://" + postgres.host() + ":" + postgres.port() + "/" + api.database.name(),
                     // One statement at a time: it hangs on its connection, and everything after it queues.
                     "triggers.ingest.group-commit-max-concurrent", "1",
                     "triggers.ingest.group-commit-max-queued-bytes", Long.toString(queueBytes)))) {
            assertThat(replica.send("POST", "/v1/events", key, "{\"event_type\":\"warm\",\"payload\":{}}", Map.of()).status()).isEqualTo(201);
            // 200 KB events: without a bound, every request waiting out its 2 s would hold one.
            String body = "{\"event_type\":\"stalled\",\"payload\":{\"blob\":\"" + "x".repeat(200_000) + "\"}}";
            postgres.hang();
            long heapAtStart = usedHeapAfterGc();
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            Map<Integer, AtomicInteger> answers = new ConcurrentHashMap<>();
            AtomicInteger answeredAtOnce = new AtomicInteger();
            // 8 clients, each sending its next request 50 ms after its last answer, for 60 s.
            ScheduledExecutorService clients = Executors.newScheduledThreadPool(8);
            for (int c = 0; c < 8; c++) {
                clients.scheduleWithFixedDelay(() -> {
                    long sent = System.nanoTime();
                    int status;
                    try {
                        status = replica.send("POST", "/v1/events", key, body, Map.of()).status();
                    } catch (RuntimeException noAnswer) {
                        status = -1; // no answer at all: fails "every caller is answered 503" below
                    }
                    answers.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                    if (status == 503 && System.nanoTime() - sent < Duration.ofMillis(500).toNanos()) {
                        answeredAtOnce.incrementAndGet();
                    }
                }, 0, 50, TimeUnit.MILLISECONDS);
            }
            // Sampled once a second while the load runs: the queue gauge, and every fifth time the heap after GC.
            long[] peakQueued = {0};
            long[] peakHeap = {0};
            AtomicInteger samples = new AtomicInteger();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                peakQueued[0] = Math.max(peakQueued[0], (long) Prometheus.sample(replica.management("/actuator/prometheus").text(),
                        "triggers_ingest_queued_bytes"));
                if (samples.getAndIncrement() % 5 == 0) {
                    peakHeap[0] = Math.max(peakHeap[0], usedHeapAfterGc() - heapAtStart);
                }
                return System.nanoTime() >= until;
            });
            clients.shutdown();
            assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).as("the last requests were answered").isTrue();
            long heapGrowth = usedHeapAfterGc() - heapAtStart;
            System.out.printf("PostgreSQL hung 60 s: answers %s (%d of the 503s at once), queue peak %d KiB, heap growth %d MiB "
                    + "(peak %d MiB)%n", answers, answeredAtOnce.get(), peakQueued[0] / 1024, heapGrowth >> 20, peakHeap[0] >> 20);

            assertThat(answers.keySet()).as("every caller is answered 503").containsOnly(503);
            assertThat(answeredAtOnce.get()).as("a full queue answers at once").isPositive();
            assertThat(peakQueued[0]).as("the queue filled up to its bound, no further").isPositive()
                    .isLessThanOrEqualTo(queueBytes + 512 * 1024);
            assertThat(peakHeap[0]).as("heap stays flat").isLessThan(48L * 1024 * 1024);

            postgres.restore();
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    replica.send("POST", "/v1/events", key, "{\"event_type\":\"after\",\"payload\":{}}", Map.of()).status() == 201);
        }
        assertThat(api.queryText("SELECT count(*) FROM events WHERE organization_id = ?::uuid AND event_type = 'stalled'", organization))
                .as("nothing answered 503 is stored").isEqualTo("0");
    }

    private static long usedHeapAfterGc() {
        System.gc();
        return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static String metrics() {
        return api.management("/actuator/prometheus").text();
    }
}
