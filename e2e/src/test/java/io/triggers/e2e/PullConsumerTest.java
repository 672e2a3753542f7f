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
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Pull consumers with the worker running: acknowledged and deleted events stop; retention. */
class PullConsumerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void anAcknowledgedOrDeletedEventIsNotDeliveredAgainThoughItsEntryIsPending() throws Exception {
        AtomicBoolean up = new AtomicBoolean(false);
        try (RunningService service = RunningService.start(Map.of(
                "triggers.delivery.retry-schedule", "600ms,600ms,600ms",
                "triggers.worker.heartbeat-every", "50ms"));
             WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> up.get() ? 200 : 500)) {
            String key = service.newOrganizationKey("pull");
            service.newEndpoint(key, receiver.url("/down-for-now"));
            String acknowledged = service.ingest(key);
            String deleted = service.ingest(key);
            await().atMost(WAIT).until(() -> receiver.received().size() == 2);
            // Both entries are pending, waiting for a retry.
            assertThat(service.streamEntryOf(acknowledged)).isPresent();
            assertThat(service.streamEntryOf(deleted)).isPresent();

            assertThat(service.call("POST", "/v1/events/" + acknowledged + "/ack", key, null).status()).isEqualTo(200);
            assertThat(service.call("DELETE", "/v1/events/" + deleted, key, null).status()).isEqualTo(204);
            up.set(true);

            // The retries come and find nothing owed: the entries are acknowledged, nothing is sent.
            await().atMost(WAIT).until(() -> service.streamEntryOf(acknowledged).isEmpty() && service.streamEntryOf(deleted).isEmpty());
            assertThat(receiver.received()).hasSize(2);
            assertThat(service.call("GET", "/v1/events/" + acknowledged, key, null).body().get("status").stringValue())
                    .isEqualTo("acknowledged");
        }
    }

    @Test
    void deliveredEventsGoAfterTheirRetentionUndeliveredOnesAfterTheirsOrTheirOrganizations() throws Exception {
        try (RunningService service = RunningService.start(Map.of(
                "triggers.retention-delivered", "1h",
                "triggers.retention-undelivered", "3h",
                "triggers.cleanup.every", "200ms"))) {
            String plain = service.newOrganizationKey("retention-default");
            String keeper = service.call("POST", "/v1/organizations", service.adminToken,
                    "{\"name\":\"retention-own\",\"retention_days\":1}").body().get("api_key").get("key").stringValue();
            // No endpoints: nothing delivers, so each state is only what the test sets.
            Map<String, String> deleted = new java.util.LinkedHashMap<>();
            Map<String, String> kept = new java.util.LinkedHashMap<>();
            deleted.put(stored(service, plain, "delivered", "delivered_at = now() - interval '2 hours', created_at = now() - interval '2 hours'"), "delivered");
            kept.put(stored(service, plain, "delivered", "delivered_at = now() - interval '30 minutes', created_at = now() - interval '5 hours'"),
                    "delivered half an hour ago, created five hours ago: counted from delivery");
            deleted.put(stored(service, plain, "acknowledged", "acknowledged_at = now() - interval '2 hours'"), "acknowledged");
            kept.put(stored(service, plain, "acknowledged", "acknowledged_at = now() - interval '30 minutes', created_at = now() - interval '5 hours'"),
                    "acknowledged half an hour ago");
            deleted.put(stored(service, plain, "pending", "created_at = now() - interval '5 hours'"), "pending");
            kept.put(stored(service, plain, "pending", "created_at = now() - interval '2 hours'"), "pending for 2 of 3 hours");
            deleted.put(stored(service, plain, "dead", "created_at = now() - interval '5 hours'"), "dead");
            kept.put(stored(service, plain, "failed", "created_at = now() - interval '2 hours'"), "failed for 2 of 3 hours");
            kept.put(stored(service, keeper, "pending", "created_at = now() - interval '5 hours'"), "pending 5 hours, its organization keeps a day");
            deleted.put(stored(service, keeper, "dead", "created_at = now() - interval '25 hours'"), "dead");
            deleted.put(stored(service, keeper, "delivered", "delivered_at = now() - interval '2 hours'"), "delivered");

            await().atMost(WAIT).until(() -> count(service, "SELECT count(*) FROM events WHERE id = ANY(?::uuid[])",
                    (Object) deleted.keySet().toArray(String[]::new)) == 0);
            kept.forEach((id, why) -> assertThat(count(service, "SELECT count(*) FROM events WHERE id = ?::uuid", id)).as(why).isEqualTo(1));

            String metrics = service.workerCall("GET", "/actuator/prometheus").text();
            assertThat(metrics).contains("triggers_retention_deleted_total{status=\"delivered\"} 2.0")
                    .contains("triggers_retention_deleted_total{status=\"acknowledged\"} 1.0")
                    .contains("triggers_retention_deleted_total{status=\"pending\"} 1.0")
                    .contains("triggers_retention_deleted_total{status=\"dead\"} 2.0")
                    .contains("triggers_retention_deleted_total{status=\"failed\"} 0.0");
        }
    }

    /** An event ingested through the api, then put in {@code status} with the times {@code set} gives. */
    private static String stored(RunningService service, String key, String status, String set) throws Exception {
        String id = service.ingest(key);
        execute(service, "UPDATE events SET status = '" + status + "', " + set + " WHERE id = '" + id + "'");
        return id;
    }

    @Test
    void oldEventsAndExpiredIdempotencyKeysAreDeletedInBatches() throws Exception {
        // TRIGGERS_RETENTION, the delivered retention's old name, still works.
        try (RunningService service = RunningService.start(Map.of(
                "triggers.retention", "1h",
                "triggers.cleanup.every", "200ms",
                "triggers.cleanup.batch-size", "10"));
             WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("retention");
            service.newEndpoint(key, receiver.url("/kept"));
            List<String> old = new ArrayList<>();
            for (int i = 0; i < 35; i++) {
                old.add(service.call("POST", "/v1/events", key, "{\"event_type\":\"old.one\",\"payload\":" + i + "}").body()
                        .get("event_id").stringValue());
            }
            await().atMost(WAIT).until(() -> count(service, "SELECT count(*) FROM delivery_attempts") >= 35);
            String recent = service.ingest(key);
            ApiClient.Response keyed = service.call("POST", "/v1/events", key, "{\"event_type\":\"keyed\",\"payload\":1,\"dedup_id\":\"old-key\"}");
            ApiClient.Response freshKey = service.call("POST", "/v1/events", key, "{\"event_type\":\"keyed\",\"payload\":2,\"dedup_id\":\"new-key\"}");
            assertThat(keyed.status()).isEqualTo(201);
            assertThat(freshKey.status()).isEqualTo(201);
            execute(service, "UPDATE events SET created_at = now() - interval '2 hours', delivered_at = now() - interval '2 hours' "
                    + "WHERE event_type = 'old.one'");
            execute(service, "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE idempotency_key = 'old-key'");

            await().atMost(WAIT).until(() -> count(service, "SELECT count(*) FROM events WHERE event_type = 'old.one'") == 0);
            await().atMost(WAIT).until(() -> count(service, "SELECT count(*) FROM idempotency_keys WHERE idempotency_key = 'old-key'") == 0);

            assertThat(count(service, "SELECT count(*) FROM deliveries d JOIN (SELECT unnest(?::uuid[]) AS id) o ON o.id = d.event_id",
                    (Object) old.toArray(String[]::new))).isZero();
            assertThat(count(service, "SELECT count(*) FROM delivery_attempts a JOIN (SELECT unnest(?::uuid[]) AS id) o ON o.id = a.event_id",
                    (Object) old.toArray(String[]::new))).isZero();
            assertThat(count(service, "SELECT count(*) FROM events WHERE id = ?::uuid", recent)).isEqualTo(1);
            assertThat(count(service, "SELECT count(*) FROM idempotency_keys WHERE idempotency_key = 'new-key'")).isEqualTo(1);
            // The expired key is free again (its Redis marker expires after the same 24 hours; here, by hand).
            List<String> markers = service.redis().commands().keys(service.redisPrefix + ":idempotency:*");
            if (!markers.isEmpty()) {
                service.redis().commands().del(markers.toArray(String[]::new));
            }
            assertThat(service.call("POST", "/v1/events", key, "{\"event_type\":\"keyed\",\"payload\":3,\"dedup_id\":\"old-key\"}").status())
                    .isEqualTo(201);
            // The event the expired key pointed at is still there: keys expire, events are kept for the retention.
            assertThat(count(service, "SELECT count(*) FROM events WHERE id = ?::uuid", keyed.body().get("event_id").stringValue())).isEqualTo(1);
        }
    }

    private static void execute(RunningService service, String sql) throws Exception {
        try (Connection db = service.jdbc(); PreparedStatement statement = db.prepareStatement(sql)) {
            statement.executeUpdate();
        }
    }

    private static long count(RunningService service, String sql, Object... parameters) {
        try (Connection db = service.jdbc(); PreparedStatement query = db.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                if (parameters[i] instanceof String[] array) {
                    query.setArray(i + 1, db.createArrayOf("text", array));
                } else {
                    query.setObject(i + 1, parameters[i]);
                }
            }
            try (ResultSet row = query.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
