package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.Range;
import io.triggers.testing.WebhookReceiver;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The reconciler puts back on the stream what PostgreSQL says is owed and no stream entry carries,
 * and leaves alone what is waiting on the stream for a retry.
 */
class ReconcilerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Map<String, String> FAST = Map.of(
            "triggers.reconciler.every", "200ms",
            "triggers.reconciler.grace", "500ms",
            "triggers.worker.heartbeat-every", "50ms");

    @Test
    void anEventCommittedButNeverQueuedIsDelivered() throws Exception {
        try (RunningService service = RunningService.start(FAST); WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("lost-xadd");
            String endpointId = service.newEndpoint(key, receiver.url("/hook")).get("id").stringValue();
            String organizationId = service.call("GET", "/v1/me", key, null).body().get("organization_id").stringValue();
            // As if the api died between COMMIT and XADD: the rows exist, the stream never heard of them.
            String eventId = insertUnqueuedEvent(service, organizationId, endpointId);
            assertThat(service.streamEntryOf(eventId)).isEmpty();

            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)));
            assertThat(receiver.received()).extracting(r -> r.header("webhook-id")).containsExactly(eventId);
        }
    }

    @Test
    void whatRedisForgotIsQueuedAgainAndTheGroupRecreated() throws Exception {
        AtomicBoolean up = new AtomicBoolean(false);
        try (RunningService service = RunningService.start(Map.of(
                "triggers.reconciler.every", "200ms", "triggers.reconciler.grace", "500ms",
                "triggers.delivery.retry-schedule", "300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms",
                "triggers.delivery.circuit-open-for", "200ms",
                "triggers.worker.heartbeat-every", "50ms"));
             WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> up.get() ? 200 : 503)) {
            String key = service.newOrganizationKey("flushed");
            service.newEndpoint(key, receiver.url("/hook"));
            String eventId = service.ingest(key);
            await().atMost(WAIT).until(() -> receiver.received().size() >= 1);
            // Redis loses the stream and its consumer group (a restart without persistence, a flush).
            service.queue().deleteAll();
            up.set(true);

            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)));
            assertThat(receiver.received()).extracting(r -> r.header("webhook-id")).contains(eventId);
        }
    }

    @Test
    void anEventWaitingForItsRetryIsNotQueuedTwiceEvenWithTwoReconcilers() throws Exception {
        try (RunningService service = RunningService.start(Map.of(
                "triggers.reconciler.every", "100ms", "triggers.reconciler.grace", "200ms",
                "triggers.delivery.retry-schedule", "1h",
                "triggers.worker.heartbeat-every", "50ms"));
             WebhookReceiver receiver = WebhookReceiver.start().respondWith(500)) {
            service.startWorker(Map.of());
            String key = service.newOrganizationKey("patient");
            String endpointId = service.newEndpoint(key, receiver.url("/down")).get("id").stringValue();
            String waiting = service.ingest(key);
            String organizationId = service.call("GET", "/v1/me", key, null).body().get("organization_id").stringValue();
            String lost = insertUnqueuedEvent(service, organizationId, endpointId);

            await().atMost(WAIT).until(() -> "failed".equals(service.eventStatus(lost)));
            // Many reconciler runs on two replicas later, each event still has exactly one entry.
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() ->
                    entries(service, waiting) == 1 && entries(service, lost) == 1);
            assertThat(receiver.received()).hasSize(2);
        }
    }

    @Test
    void afterRedisLostEverythingAHundredThousandOwedDeliveriesAreQueuedAgainWithinAMinuteOnceEach() throws Exception {
        int owed = 100_000;
        try (RunningService service = RunningService.start(Map.of(
                "triggers.reconciler.every", "1s", "triggers.reconciler.grace", "500ms"));
             WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("backlog");
            String endpointId = service.newEndpoint(key, receiver.url("/hook")).get("id").stringValue();
            String organizationId = service.call("GET", "/v1/me", key, null).body().get("organization_id").stringValue();
            try (Connection db = service.jdbc(); Statement sql = db.createStatement()) {
                // A slow endpoint (one delivery a second), so the backlog stays while the test looks.
                sql.execute("UPDATE endpoints SET rate_limit_per_second = 1 WHERE id = '" + endpointId + "'");
                // Committed, never queued: as after an api crash, or events written while Redis was down.
                sql.execute("""
                        INSERT INTO events (id, organization_id, event_type, payload, status, created_at, updated_at)
                        SELECT gen_random_uuid(), '%s', 'backlog.event', '{"n": 1}', 'pending',
                               now() - interval '1 minute' + n * interval '1 microsecond', now()
                        FROM generate_series(1, %d) n""".formatted(organizationId, owed));
                sql.execute("""
                        INSERT INTO deliveries (event_id, endpoint_id, organization_id, status, created_at, updated_at)
                        SELECT id, '%s', organization_id, 'pending', created_at, now() FROM events
                        """.formatted(endpointId));
            }
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> service.queue().queuedCount() == owedInDatabase(service));

            // Caught up, the walk stays at its end: the backlog Redis holds is not read again every run.
            long readOnce = keysetEntriesRead(service, owed);
            await().during(Duration.ofSeconds(12)).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> keysetEntriesRead(service, 0) - readOnce < owed / 2);

            // Redis loses everything (a restart without persistence): all of it is queued again, once each.
            service.queue().deleteAll();
            long lost = System.nanoTime();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> service.queue().queuedCount() == owedInDatabase(service));
            assertThat(Duration.ofNanos(System.nanoTime() - lost)).isLessThan(Duration.ofSeconds(60));
            assertThat(owedInDatabase(service)).isGreaterThan(owed - 100L);
            assertThat(service.queue().streamEntries()).isEqualTo(service.queue().queuedCount());
        }
    }

    private static long owedInDatabase(RunningService service) throws Exception {
        try (Connection db = service.jdbc(); Statement sql = db.createStatement();
             ResultSet row = sql.executeQuery("SELECT count(*) FROM deliveries WHERE status IN ('pending', 'failed')")) {
            row.next();
            return row.getLong(1);
        }
    }

    /**
     * Entries PostgreSQL counts as read from the owed deliveries' index, once at least {@code atLeast}
     * (its counters reach the statistics views up to 10 s late).
     */
    private static long keysetEntriesRead(RunningService service, long atLeast) {
        long[] read = new long[1];
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
            try (Connection db = service.jdbc(); Statement sql = db.createStatement();
                 ResultSet row = sql.executeQuery(
                         "SELECT idx_tup_read FROM pg_stat_user_indexes WHERE indexrelname = 'deliveries_owed_keyset_idx'")) {
                row.next();
                read[0] = row.getLong(1);
                return read[0] >= atLeast;
            }
        });
        return read[0];
    }

    private static long entries(RunningService service, String eventId) {
        return service.queue().entriesOf(eventId).size();
    }

    private static String insertUnqueuedEvent(RunningService service, String organizationId, String endpointId) throws Exception {
        UUID eventId = UUID.randomUUID();
        try (Connection db = service.jdbc();
             PreparedStatement event = db.prepareStatement("""
                     INSERT INTO events (id, organization_id, event_type, payload, status, created_at, updated_at)
                     VALUES (?, ?, 'lost.event', '{"lost": true}', 'pending', now(), now())""");
             PreparedStatement delivery = db.prepareStatement("""
                     INSERT INTO deliveries (event_id, endpoint_id, organization_id, status, created_at, updated_at)
                     VALUES (?, ?, ?, 'pending', now(), now())""")) {
            event.setObject(1, eventId);
            event.setObject(2, UUID.fromString(organizationId));
            event.executeUpdate();
            delivery.setObject(1, eventId);
            delivery.setObject(2, UUID.fromString(endpointId));
            delivery.setObject(3, UUID.fromString(organizationId));
            delivery.executeUpdate();
        }
        return eventId.toString();
    }
}
