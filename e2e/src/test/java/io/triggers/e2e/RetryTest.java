package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.Range;
import io.triggers.testing.WebhookReceiver;
import io.triggers.testing.WebhookReceiver.Received;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Retries through the pending list, on a retry schedule in milliseconds: retried until delivered,
 * dead after the last step, only to the endpoints that failed, Retry-After honoured, 410 Gone.
 */
class RetryTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static RunningService service;

    @BeforeAll
    static void start() {
        service = RunningService.start(Map.of(
                "triggers.delivery.retry-schedule", "200ms,300ms,400ms",
                "triggers.delivery.max-retry-after", "1500ms",
                "triggers.delivery.timeout", "2s",
                "triggers.worker.heartbeat-every", "50ms",
                "triggers.worker.trim-every", "200ms"));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void aFailedDeliveryIsRetriedOnScheduleUntilItIsDelivered() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> calls.incrementAndGet() <= 2 ? 500 : 200)) {
            String key = service.newOrganizationKey("retry");
            service.newEndpoint(key, receiver.url("/flaky"));
            String eventId = service.ingest(key);
            io.triggers.testing.TestQueue.Entry entry = service.streamEntryOf(eventId).orElseThrow();

            await().atMost(WAIT).until(() -> "delivered".equals(text("SELECT status FROM events WHERE id = ?", eventId)));
            await().atMost(WAIT).until(() -> !service.isPending(entry));

            List<Received> received = receiver.received();
            assertThat(received).hasSize(3);
            assertThat(received).extracting(r -> r.header("webhook-id")).containsOnly(eventId);
            // Each retry waited at least the schedule's step less 20 % jitter.
            assertThat(gapMillis(received.get(0), received.get(1))).isGreaterThanOrEqualTo(160);
            assertThat(gapMillis(received.get(1), received.get(2))).isGreaterThanOrEqualTo(240);
            assertThat(text("SELECT string_agg(attempt || ':' || status_code, ',' ORDER BY attempt) FROM delivery_attempts WHERE event_id = ?",
                    eventId)).isEqualTo("1:500,2:500,3:200");
            assertThat(text("SELECT status || ' ' || attempts FROM deliveries WHERE event_id = ?", eventId)).isEqualTo("delivered 3");
        }
    }

    @Test
    void afterTheLastStepTheDeliveryIsDeadAndTheEntryDeadLettered() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(500)) {
            String key = service.newOrganizationKey("dead");
            service.newEndpoint(key, receiver.url("/always-failing"));
            String eventId = service.ingest(key);
            io.triggers.testing.TestQueue.Entry entry = service.streamEntryOf(eventId).orElseThrow();

            await().atMost(WAIT).until(() -> "dead".equals(text("SELECT status FROM events WHERE id = ?", eventId)));
            await().atMost(WAIT).until(() -> !service.isPending(entry));

            // The first attempt and one retry per step of the schedule.
            assertThat(receiver.received()).hasSize(4);
            assertThat(text("SELECT status || ' ' || attempts || ' ' || last_status_code FROM deliveries WHERE event_id = ?", eventId))
                    .isEqualTo("dead 4 500");
            assertThat(service.redis().commands().xrange(service.redisPrefix + ":dead", Range.create("-", "+")))
                    .anySatisfy(dead -> {
                        assertThat(dead.getBody()).containsEntry("event_id", eventId).containsEntry("entry_id", entry.entryId()).containsEntry("endpoint_id", entry.endpointId());
                        assertThat(dead.getBody()).containsKey("dead_at");
                    });
        }
    }

    @Test
    void retriesGoOnlyToTheEndpointsThatFailed() throws Exception {
        AtomicInteger flakyCalls = new AtomicInteger();
        try (WebhookReceiver healthy = WebhookReceiver.start();
             WebhookReceiver flaky = WebhookReceiver.start().respondWith(request -> flakyCalls.incrementAndGet() == 1 ? 503 : 204)) {
            String key = service.newOrganizationKey("fanout-retry");
            service.newEndpoint(key, healthy.url("/ok"));
            service.newEndpoint(key, flaky.url("/flaky"));
            String eventId = service.ingest(key);

            await().atMost(WAIT).until(() -> "delivered".equals(text("SELECT status FROM events WHERE id = ?", eventId)));

            assertThat(healthy.received()).hasSize(1);
            assertThat(flaky.received()).hasSize(2);
            assertThat(text("SELECT string_agg(attempts::text, ',' ORDER BY attempts) FROM deliveries WHERE event_id = ?", eventId))
                    .isEqualTo("1,2");
        }
    }

    @Test
    void retryAfterIsHonouredUpToItsBound() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (WebhookReceiver patient = WebhookReceiver.start().respondWith(request -> calls.incrementAndGet() == 1 ? 429 : 200)) {
            patient.withHeader("Retry-After", "1");
            String key = service.newOrganizationKey("retry-after");
            service.newEndpoint(key, patient.url("/slow-down"));
            String eventId = service.ingest(key);
            await().atMost(WAIT).until(() -> "delivered".equals(text("SELECT status FROM events WHERE id = ?", eventId)));
            // The schedule alone would retry after about 200 ms; the receiver asked for 1 s.
            assertThat(gapMillis(patient.received().get(0), patient.received().get(1))).isGreaterThanOrEqualTo(1000);
        }
        AtomicInteger bounded = new AtomicInteger();
        try (WebhookReceiver greedy = WebhookReceiver.start().respondWith(request -> bounded.incrementAndGet() == 1 ? 503 : 200)) {
            greedy.withHeader("Retry-After", "3600");
            String key = service.newOrganizationKey("retry-after-bounded");
            service.newEndpoint(key, greedy.url("/maintenance"));
            String eventId = service.ingest(key);
            await().atMost(WAIT).until(() -> "delivered".equals(text("SELECT status FROM events WHERE id = ?", eventId)));
            // Bounded by max-retry-after (1.5 s), not an hour.
            long gap = gapMillis(greedy.received().get(0), greedy.received().get(1));
            assertThat(gap).isBetween(1500L, 10_000L);
        }
    }

    @Test
    void goneDisablesTheEndpointAndRecordsWhy() throws Exception {
        try (WebhookReceiver gone = WebhookReceiver.start().respondWith(410)) {
            String key = service.newOrganizationKey("gone");
            String endpointId = service.newEndpoint(key, gone.url("/old")).get("id").stringValue();
            String eventId = service.ingest(key);

            await().atMost(WAIT).until(() -> "dead".equals(text("SELECT status FROM events WHERE id = ?", eventId)));

            assertThat(gone.received()).hasSize(1);
            try (Connection db = service.jdbc();
                 PreparedStatement query = db.prepareStatement("SELECT enabled, disabled_reason, disabled_at FROM endpoints WHERE id = ?")) {
                query.setObject(1, UUID.fromString(endpointId));
                try (ResultSet row = query.executeQuery()) {
                    assertThat(row.next()).isTrue();
                    assertThat(row.getBoolean("enabled")).isFalse();
                    assertThat(row.getString("disabled_reason")).contains("410");
                    assertThat(row.getTimestamp("disabled_at")).isNotNull();
                }
            }
            // A disabled endpoint gets no deliveries of later events.
            String later = service.ingest(key);
            assertThat(text("SELECT count(*) FROM deliveries WHERE event_id = ?", later)).isEqualTo("0");
            assertThat(service.streamEntryOf(later)).isEmpty();
            assertThat(gone.received()).hasSize(1);
        }
    }

    @Test
    void aRetryAfterLongerThanTheWholeScheduleCostsNoRetryStep() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> calls.incrementAndGet() == 1 ? 503 : 200)) {
            // 1.5 s (the bound) is longer than the whole schedule (0.9 s): skipped rounds must not use it up.
            receiver.withHeader("Retry-After", "60");
            String key = service.newOrganizationKey("retry-after-long");
            service.newEndpoint(key, receiver.url("/later"));
            String eventId = service.ingest(key);
            await().atMost(WAIT).until(() -> "delivered".equals(text("SELECT status FROM events WHERE id = ?", eventId)));
            assertThat(receiver.received()).hasSize(2);
            assertThat(text("SELECT attempts::text FROM deliveries WHERE event_id = ?", eventId)).isEqualTo("2");
        }
    }

    @Test
    void acknowledgedEntriesAreRemovedFromTheStream() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("trim");
            service.newEndpoint(key, receiver.url("/many"));
            long from = System.currentTimeMillis();
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                events.add(service.ingest(key));
            }
            await().atMost(WAIT).until(() -> receiver.received().size() >= 30);
            for (String eventId : events) {
                await().atMost(WAIT).until(() -> "delivered".equals(text("SELECT status FROM events WHERE id = ?", eventId)));
            }
            long to = System.currentTimeMillis();
            // Neither left in the stream nor pending.
            await().atMost(WAIT).until(() -> !service.queue().anyBetween(from, to, false));
            assertThat(service.anyPendingBetween(from, to)).isFalse();
        }
    }

    private static long gapMillis(Received earlier, Received later) {
        return Duration.between(earlier.receivedAt(), later.receivedAt()).toMillis();
    }

    private static String text(String sql, String eventId) throws Exception {
        try (Connection db = service.jdbc(); PreparedStatement query = db.prepareStatement(sql)) {
            query.setObject(1, UUID.fromString(eventId));
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }
}
