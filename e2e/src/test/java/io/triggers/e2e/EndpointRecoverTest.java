package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.e2e.ApiClient.Response;
import io.triggers.testing.WebhookReceiver;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/endpoints/{id}/recover} at a real receiver (issue 19): the endpoint's dead and
 * failed deliveries of events created in the window are delivered again, once each even when the
 * call is made twice at once and the window spans several pages; events outside the window and
 * acknowledged ones are left alone.
 */
class EndpointRecoverTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static RunningService service;

    @BeforeAll
    static void start() {
        service = RunningService.start(Map.of("triggers.delivery.retry-schedule", "1h",
                "triggers.delivery.circuit-open-for", "100ms"));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void theWindowsDeadDeliveriesAreDeliveredAgainOnceEach() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(false);
        Map<String, AtomicInteger> deliveredAfterRecovery = new ConcurrentHashMap<>();
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> {
            if (!healthy.get()) {
                return 500;
            }
            deliveredAfterRecovery.computeIfAbsent(request.header("webhook-id"), id -> new AtomicInteger()).incrementAndGet();
            return 200;
        })) {
            String key = service.newUnlimitedOrganizationKey("recover");
            String endpointId = endpoint(key, receiver.url("/r"));
            String before = ingest(key);
            await().atMost(WAIT).until(() -> "dead".equals(service.eventStatus(before)));
            Instant since = Instant.now();
            List<String> inWindow = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                inWindow.add(ingest(key));
            }
            String acknowledged = ingest(key);
            await().atMost(WAIT).until(() -> inWindow.stream().allMatch(id -> "dead".equals(service.eventStatus(id)))
                    && "dead".equals(service.eventStatus(acknowledged)));
            assertThat(service.call("POST", "/v1/events/" + acknowledged + "/ack", key, null).status()).isEqualTo(200);

            healthy.set(true);
            Response recovering = service.call("POST", "/v1/endpoints/" + endpointId + "/recover", key,
                    "{\"since\":\"" + since + "\"}");
            assertThat(recovering.status()).isEqualTo(202);
            assertThat(recovering.body().get("recovering").longValue()).isEqualTo(3);
            await().atMost(WAIT).until(() -> inWindow.stream().allMatch(id -> "delivered".equals(service.eventStatus(id))));
            assertThat(service.call("POST", "/v1/endpoints/" + endpointId + "/recover", key, "{\"since\":\"" + since + "\"}")
                    .body().get("recovering").longValue()).as("nothing left to recover").isZero();

            assertThat(deliveredAfterRecovery.keySet()).containsExactlyInAnyOrderElementsOf(inWindow);
            assertThat(deliveredAfterRecovery.values()).allMatch(count -> count.get() == 1);
            assertThat(service.eventStatus(before)).as("created before the window").isEqualTo("dead");
            assertThat(service.eventStatus(acknowledged)).isEqualTo("acknowledged");
            assertThat(attempts(inWindow.get(0), endpointId)).as("two failed attempts, then one new attempt").isEqualTo(3);
        }
    }

    @Test
    void aWindowOfManyPagesRecoveredTwiceAtOnceDeliversEachOnce() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(false);
        Map<String, AtomicInteger> deliveredAfterRecovery = new ConcurrentHashMap<>();
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> {
            if (!healthy.get()) {
                return 500;
            }
            deliveredAfterRecovery.computeIfAbsent(request.header("webhook-id"), id -> new AtomicInteger()).incrementAndGet();
            return 200;
        })) {
            String key = service.newUnlimitedOrganizationKey("recover-pages");
            String endpointId = endpoint(key, receiver.url("/p"));
            Instant since = Instant.now().minusSeconds(10);
            // 1 200 deliveries that died earlier (stored as the worker leaves them): more than two pages.
            List<String> events = deadEvents(key, endpointId, 1200);
            assertThat(deadDeliveries(endpointId)).isEqualTo(events.size());

            healthy.set(true);
            String body = "{\"since\":\"" + since + "\",\"until\":\"" + Instant.now().plusSeconds(1) + "\"}";
            List<java.util.concurrent.CompletableFuture<Response>> calls = List.of(
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> service.call("POST", "/v1/endpoints/" + endpointId + "/recover", key, body)),
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> service.call("POST", "/v1/endpoints/" + endpointId + "/recover", key, body)));
            for (java.util.concurrent.CompletableFuture<Response> call : calls) {
                assertThat(call.get().status()).isEqualTo(202);
                assertThat(call.get().body().get("recovering").longValue()).isBetween(0L, (long) events.size());
            }
            await().atMost(WAIT).until(() -> deliveredAfterRecovery.size() == events.size());
            // Anything delivered twice would have arrived by the time every delivery has settled.
            await().atMost(WAIT).until(() -> deadDeliveries(endpointId) == 0 && owedDeliveries(endpointId) == 0);
            assertThat(deliveredAfterRecovery.keySet()).containsExactlyInAnyOrderElementsOf(events);
            assertThat(deliveredAfterRecovery.values()).as("each delivered once").allMatch(count -> count.get() == 1);
        }
    }

    @Test
    void badRequestsAndDisabledOrUnknownEndpoints() throws Exception {
        String key = service.newUnlimitedOrganizationKey("recover-bad");
        String endpointId = endpoint(key, "http://127.0.0.1:9/x");
        String path = "/v1/endpoints/" + endpointId + "/recover";
        for (String body : List.of("{}", "{\"since\":\"yesterday\"}", "{\"since\":\"2026-01-02T00:00:00Z\",\"until\":\"2026-01-01T00:00:00Z\"}",
                "{\"since\":\"2026-01-01T00:00:00Z\",\"colour\":1}", "[]")) {
            assertThat(service.call("POST", path, key, body).status()).as(body).isEqualTo(400);
        }
        assertThat(service.call("POST", path, key, "{\"since\":\"2026-01-01T00:00:00Z\"}").body().get("recovering").longValue()).isZero();
        String other = service.newUnlimitedOrganizationKey("recover-other");
        assertThat(service.call("POST", path, other, "{\"since\":\"2026-01-01T00:00:00Z\"}").status()).isEqualTo(404);
        assertThat(service.call("PATCH", "/v1/endpoints/" + endpointId, key, "{\"enabled\":false}").status()).isEqualTo(200);
        assertThat(service.call("POST", path, key, "{\"since\":\"2026-01-01T00:00:00Z\"}").status()).isEqualTo(409);
    }

    private static String endpoint(String key, String url) {
        Response created = service.call("POST", "/v1/endpoints", key, "{\"url\":\"" + url + "\",\"retry_schedule\":[\"100ms\"]}");
        assertThat(created.status()).isEqualTo(201);
        return created.body().get("id").stringValue();
    }

    private static String ingest(String key) {
        Response created = service.call("POST", "/v1/events", key, "{\"event_type\":\"recover.item\",\"payload\":{\"n\":1}}");
        assertThat(created.status()).isEqualTo(201);
        return created.body().get("event_id").stringValue();
    }

    private static List<String> deadEvents(String key, String endpointId, int count) throws SQLException {
        String organizationId = service.call("GET", "/v1/me", key, null).body().get("organization_id").stringValue();
        List<String> ids = new ArrayList<>();
        try (Connection db = service.jdbc(); PreparedStatement insert = db.prepareStatement("""
                WITH event AS (
                    INSERT INTO events (id, organization_id, event_type, payload, status, created_at, updated_at)
                    SELECT gen_random_uuid(), ?::uuid, 'recover.item', jsonb_build_object('n', i), 'dead',
                           now() - i * interval '1 millisecond', now()
                    FROM generate_series(1, ?) AS i
                    RETURNING id, organization_id, created_at
                )
                INSERT INTO deliveries (event_id, endpoint_id, organization_id, status, attempts, last_error, created_at, updated_at)
                SELECT id, ?::uuid, organization_id, 'dead', 2, 'HTTP 500', created_at, now() FROM event
                RETURNING event_id""")) {
            insert.setString(1, organizationId);
            insert.setInt(2, count);
            insert.setString(3, endpointId);
            try (ResultSet rows = insert.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getString(1));
                }
            }
        }
        return ids;
    }

    private static int attempts(String eventId, String endpointId) throws SQLException {
        return count("SELECT count(*) FROM delivery_attempts WHERE event_id = ?::uuid AND endpoint_id = ?::uuid", eventId, endpointId);
    }

    private static int deadDeliveries(String endpointId) throws SQLException {
        return count("SELECT count(*) FROM deliveries WHERE endpoint_id = ?::uuid AND status = 'dead'", endpointId);
    }

    private static int owedDeliveries(String endpointId) throws SQLException {
        return count("SELECT count(*) FROM deliveries WHERE endpoint_id = ?::uuid AND status IN ('pending', 'failed')", endpointId);
    }

    private static int count(String sql, String... parameters) throws SQLException {
        try (Connection db = service.jdbc(); PreparedStatement query = db.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                query.setString(i + 1, parameters[i]);
            }
            try (ResultSet row = query.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        }
    }
}
