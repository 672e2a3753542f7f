package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.Range;
import io.triggers.e2e.ApiClient.Response;
import io.triggers.testing.WebhookReceiver;
import io.triggers.worker.storage.DatabaseGate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Fault injection: PostgreSQL or Redis goes away (a {@link io.triggers.testing.TcpProxy} between
 * the apps and the real server is cut, or made to hang) while api and worker run. Every event
 * answered with a 2xx must still reach the receiver; each test prints how many duplicates the
 * outage cost.
 */
class OutageTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Map<String, String> FAST = Map.of(
            "triggers.reconciler.every", "300ms",
            "triggers.reconciler.grace", "1s",
            "triggers.delivery.retry-schedule", "500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms",
            "triggers.worker.heartbeat-every", "100ms",
            "spring.data.redis.timeout", "1s");

    @Test
    void theInboxWorksAgainOncePostgresIsBackEvenIfItsFirstRequestFoundItDown() throws Exception {
        try (RunningService service = RunningService.startBehindProxies(FAST)) {
            String key = service.newOrganizationKey("inbox-hiccup");
            String eventId = service.ingest(key);
            // The inbox's first request comes while PostgreSQL is unreachable (its cursor secret is read then).
            service.postgresProxy.cut();
            assertThat(service.call("GET", "/v1/inbox", key, null).status()).isEqualTo(503);
            service.postgresProxy.restore();

            await().atMost(WAIT).until(() -> service.call("GET", "/v1/inbox", key, null).status() == 200);
            Response page = service.call("GET", "/v1/inbox?limit=1", key, null);
            assertThat(page.body().get("events").get(0).get("event_id").stringValue()).isEqualTo(eventId);
        }
    }

    @Test
    void withPostgresDownIngestionAnswers503FastAndTheWorkerPausesWithoutAcknowledging() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (RunningService service = RunningService.startBehindProxies(FAST);
             WebhookReceiver receiver = WebhookReceiver.start().respondWith(Responders.heldUntil(release))) {
            String key = service.newOrganizationKey("pg-down");
            service.newEndpoint(key, receiver.url("/hook"));
            List<String> accepted = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                accepted.add(service.ingest(key));
            }
            // Every delivery is in flight at the receiver, which holds them until PostgreSQL is gone.
            await().atMost(WAIT).until(() -> receiver.received().size() == accepted.size());
            service.postgresProxy.cut();
            release.countDown();

            long slowest = 0;
            for (int i = 0; i < 5; i++) {
                long started = System.nanoTime();
                Response refused = service.call("POST", "/v1/events", key, "{\"event_type\":\"during.outage\",\"payload\":{}}");
                slowest = Math.max(slowest, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.body().get("error").get("code").stringValue()).isEqualTo("SERVICE_UNAVAILABLE");
                assertThat(refused.headers().first("Retry-After")).matches("[1-9][0-9]*");
            }
            assertThat(slowest).isLessThan(2_500);
            Response health = service.call("GET", "/v1/health", null, null);
            assertThat(health.status()).isEqualTo(503);
            assertThat(health.body().get("checks").get("postgres").stringValue()).isEqualTo("down");
            assertThat(health.body().get("checks").get("redis").stringValue()).isEqualTo("up");

            // The outcomes could not be stored: nothing is acknowledged, the worker stops taking work.
            DatabaseGate gate = service.worker().getBean(DatabaseGate.class);
            await().atMost(WAIT).until(() -> !gate.isOpen());
            for (String eventId : accepted) {
                assertThat(service.streamEntryOf(eventId)).as("entry of %s", eventId).isPresent();
                assertThat(service.eventStatus(eventId)).isEqualTo("pending");
            }
            service.postgresProxy.restore();
            await().atMost(WAIT).until(gate::isOpen);
            await().atMost(WAIT).until(() -> accepted.stream().allMatch(id -> "delivered".equals(service.eventStatus(id))));
            assertThat(service.call("POST", "/v1/events", key, "{\"event_type\":\"after.outage\",\"payload\":{}}").status()).isEqualTo(201);
            reportDuplicates("PostgreSQL cut", accepted, receiver);
            System.out.printf("PostgreSQL cut: slowest 503 took %d ms%n", slowest);
        }
    }

    @Test
    void withPostgresHangingEveryRequestIsStillAnswered503InTime() throws Exception {
        Map<String, String> settings = new HashMap<>(FAST);
        settings.put("triggers.api.request-timeout", "1500ms");
        try (RunningService service = RunningService.startBehindProxies(settings)) {
            String key = service.newOrganizationKey("pg-hangs");
            service.ingest(key);
            service.postgresProxy.hang();
            try {
                long started = System.nanoTime();
                Response refused = service.call("POST", "/v1/events", key, "{\"event_type\":\"during.hang\",\"payload\":{}}");
                long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.headers().first("Retry-After")).isNotNull();
                assertThat(took).isLessThan(3_000);
                System.out.printf("PostgreSQL hanging: 503 after %d ms%n", took);

                // Not ingestion: the request deadline answers.
                started = System.nanoTime();
                Response listing = service.call("GET", "/v1/endpoints", key, null);
                took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertThat(listing.status()).isEqualTo(503);
                assertThat(listing.headers().first("Retry-After")).isNotNull();
                assertThat(took).isLessThan(3_000);
            } finally {
                service.postgresProxy.restore();
            }
            await().atMost(WAIT).until(() -> service.call("POST", "/v1/events", key,
                    "{\"event_type\":\"after.hang\",\"payload\":{}}").status() == 201);
        }
    }

    @Test
    void withRedisDownIngestionKeepsAcceptingAndEverythingIsDeliveredWhenItComesBackEmpty() throws Exception {
        try (RunningService service = RunningService.startBehindProxies(FAST); WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("redis-down");
            service.newEndpoint(key, receiver.url("/hook"));
            List<String> accepted = new ArrayList<>();
            accepted.add(service.ingest(key));
            await().atMost(WAIT).until(() -> receiver.received().size() == 1);

            service.redisProxy.cut();
            long slowest = 0;
            for (int i = 0; i < 20; i++) {
                long started = System.nanoTime();
                accepted.add(service.ingest(key));
                slowest = Math.max(slowest, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            }
            String body = "{\"event_type\":\"keyed\",\"payload\":{\"n\":1}}";
            Response keyed = service.call("POST", "/v1/events", key, body, Map.of("Idempotency-Key", "during-outage"));
            Response replayed = service.call("POST", "/v1/events", key, body, Map.of("Idempotency-Key", "during-outage"));
            assertThat(keyed.status()).isEqualTo(201);
            assertThat(replayed.status()).isEqualTo(200);
            assertThat(replayed.body().get("event_id")).isEqualTo(keyed.body().get("event_id"));
            accepted.add(keyed.body().get("event_id").stringValue());
            Response health = service.call("GET", "/v1/health", null, null);
            assertThat(health.status()).isEqualTo(503);
            assertThat(health.body().get("checks").get("redis").stringValue()).isEqualTo("down");

            // Redis comes back empty, as after a restart without persistence: no stream, no group.
            List<String> keys = service.redis().commands().keys(service.redisPrefix + ":*");
            if (!keys.isEmpty()) {
                service.redis().commands().del(keys.toArray(String[]::new));
            }
            service.redisProxy.restore();

            await().atMost(WAIT).until(() -> accepted.stream().allMatch(id -> "delivered".equals(service.eventStatus(id))));
            Map<String, Long> received = countById(receiver);
            assertThat(received.keySet()).containsAll(accepted);
            reportDuplicates("Redis cut and emptied", accepted, receiver);
            System.out.printf("Redis cut: slowest 201 took %d ms%n", slowest);
        }
    }

    /** Answers 200, but only once {@code release} is open. */
    static Map<String, Long> countById(WebhookReceiver receiver) {
        return receiver.received().stream().collect(Collectors.groupingBy(r -> r.header("webhook-id"), HashMap::new, Collectors.counting()));
    }

    static void reportDuplicates(String scenario, List<String> accepted, WebhookReceiver receiver) {
        Map<String, Long> received = countById(receiver);
        long lost = accepted.stream().filter(id -> !received.containsKey(id)).count();
        long duplicates = accepted.stream().mapToLong(id -> Math.max(0, received.getOrDefault(id, 0L) - 1)).sum();
        System.out.printf("%s: %d accepted, %d lost, %d duplicate deliveries%n", scenario, accepted.size(), lost, duplicates);
        assertThat(lost).isZero();
    }
}
