package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.testing.WebhookReceiver;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Endpoints do not hurt each other: a hanging endpoint holds few delivery slots, an open circuit
 * skips (without counting attempts), and an endpoint failing for too long is disabled.
 */
class EndpointIsolationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static RunningService service;

    @BeforeAll
    static void start() {
        service = RunningService.start(Map.of(
                "triggers.delivery.retry-schedule", "300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms",
                "triggers.delivery.timeout", "3s",
                "triggers.delivery.circuit-open-for", "3s",
                "triggers.delivery.disable-after-failing", "1h",
                "triggers.worker.heartbeat-every", "100ms"));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void aHangingEndpointDoesNotHoldUpAHealthyOne() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (WebhookReceiver hanging = WebhookReceiver.start().respondWith(request -> {
                 try {
                     release.await(10, TimeUnit.SECONDS); // hangs past the 3 s delivery timeout
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 return 200;
             });
             WebhookReceiver healthy = WebhookReceiver.start()) {
            String slowKey = service.newOrganizationKey("slow");
            String hangingId = service.newEndpoint(slowKey, hanging.url("/hang")).get("id").stringValue();
            // At most two deliveries to it at once (per worker replica).
            assertThat(service.call("PATCH", "/v1/endpoints/" + hangingId, slowKey, "{\"max_in_flight\":2}").status()).isEqualTo(200);
            String fastKey = service.newOrganizationKey("fast");
            service.newEndpoint(fastKey, healthy.url("/fast"));

            for (int i = 0; i < 20; i++) {
                service.ingest(slowKey);
            }
            await().atMost(WAIT).until(() -> hanging.received().size() >= 2);
            long sentAt = System.nanoTime();
            List<String> fast = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                fast.add(service.ingest(fastKey));
            }

            await().atMost(WAIT).until(() -> healthy.received().size() == 20);
            long tookMs = (System.nanoTime() - sentAt) / 1_000_000;
            System.out.printf("20 deliveries to the healthy endpoint took %d ms while the other hung (it holds %d requests)%n",
                    tookMs, hanging.received().size());
            // All delivered before the hanging endpoint's first attempt even timed out.
            assertThat(tookMs).isLessThan(3_000);
            // The hanging endpoint holds at most its in-flight bound of requests.
            assertThat(hanging.received()).hasSizeLessThanOrEqualTo(2);
            // Its attempts end at the delivery timeout.
            await().atMost(WAIT).until(() -> timeouts(slowKey) >= 1);
            release.countDown();
        }
    }

    @Test
    void anOpenCircuitSkipsWithoutCountingAttemptsAndRetriesLater() throws Exception {
        AtomicBoolean up = new AtomicBoolean(false);
        try (WebhookReceiver flapping = WebhookReceiver.start().respondWith(request -> up.get() ? 200 : 500)) {
            String key = service.newOrganizationKey("circuit");
            service.newEndpoint(key, flapping.url("/flapping"));
            // Five failures open the circuit (minimum five calls, 50 % failing).
            List<String> first = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                first.add(service.ingest(key));
            }
            await().atMost(WAIT).until(() -> flapping.received().size() >= 5);
            int beforeOpen = flapping.received().size();
            // While the circuit is open, new events are not sent at all.
            List<String> later = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                later.add(service.ingest(key));
            }
            await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(2)).until(() -> attempts(later) == 0);
            assertThat(flapping.received().size()).isLessThanOrEqualTo(beforeOpen + 1);

            up.set(true);
            // After the open period, trial calls succeed and everything is delivered.
            await().atMost(WAIT).until(() -> later.stream().allMatch(EndpointIsolationTest::delivered)
                    && first.stream().allMatch(EndpointIsolationTest::delivered));
            // Skipped rounds were not attempts: each later event took exactly one.
            for (String eventId : later) {
                assertThat(attempts(List.of(eventId))).isEqualTo(1);
            }
        }
    }

    @Test
    void anEndpointFailingForTooLongIsDisabledWithItsReason() throws Exception {
        try (RunningService strict = RunningService.start(Map.of(
                "triggers.delivery.retry-schedule", "100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms",
                "triggers.delivery.disable-after-failing", "400ms",
                // The circuit opens after a few failures; with its default 30 s open, the attempt that
                // finds the run long enough could come only after this test's 30 s wait (seen once).
                "triggers.delivery.circuit-open-for", "300ms",
                "triggers.worker.heartbeat-every", "50ms"));
             WebhookReceiver failing = WebhookReceiver.start().respondWith(500)) {
            String key = strict.newOrganizationKey("failing");
            String endpointId = strict.newEndpoint(key, failing.url("/down")).get("id").stringValue();
            strict.call("POST", "/v1/events", key, "{\"event_type\":\"a\",\"payload\":1}");

            await().atMost(WAIT).until(() -> {
                try (Connection db = strict.jdbc();
                     PreparedStatement query = db.prepareStatement("SELECT enabled FROM endpoints WHERE id = ?")) {
                    query.setObject(1, UUID.fromString(endpointId));
                    try (ResultSet row = query.executeQuery()) {
                        return row.next() && !row.getBoolean(1);
                    }
                }
            });
            try (Connection db = strict.jdbc();
                 PreparedStatement query = db.prepareStatement("SELECT disabled_reason, disabled_at, failing_since FROM endpoints WHERE id = ?")) {
                query.setObject(1, UUID.fromString(endpointId));
                try (ResultSet row = query.executeQuery()) {
                    assertThat(row.next()).isTrue();
                    assertThat(row.getString("disabled_reason")).startsWith("failing continuously since ");
                    assertThat(row.getTimestamp("disabled_at")).isAfter(row.getTimestamp("failing_since"));
                }
            }
        }
    }

    private static int timeouts(String key) throws Exception {
        String organization = service.call("GET", "/v1/me", key, null).body().get("organization_id").stringValue();
        try (Connection db = service.jdbc(); PreparedStatement query = db.prepareStatement(
                "SELECT count(*) FROM delivery_attempts WHERE organization_id = ? AND error = 'timeout after 3000 ms' AND status_code IS NULL")) {
            query.setObject(1, UUID.fromString(organization));
            try (ResultSet row = query.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        }
    }

    private static boolean delivered(String eventId) {
        return "delivered".equals(service.eventStatus(eventId));
    }

    private static int attempts(List<String> eventIds) throws Exception {
        try (Connection db = service.jdbc();
             PreparedStatement query = db.prepareStatement("SELECT count(*) FROM delivery_attempts WHERE event_id = ANY (?)")) {
            query.setArray(1, db.createArrayOf("uuid", eventIds.stream().map(UUID::fromString).toArray()));
            try (ResultSet row = query.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        }
    }
}
