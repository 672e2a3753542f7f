package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import com.standardwebhooks.Webhook;
import io.triggers.testing.WebhookReceiver;
import io.triggers.testing.WebhookReceiver.Received;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An event goes in, a signed webhook comes out: api and worker on real PostgreSQL and Redis,
 * delivering to real HTTP receivers on loopback.
 */
class EndToEndDeliveryTest {

    private static final Duration DELIVERY_WAIT = Duration.ofSeconds(15);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static RunningService service;

    @BeforeAll
    static void start() {
        service = RunningService.start();
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void anEventIsDeliveredOnceSignedAndAcknowledged() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("acme");
            JsonNode endpoint = service.newEndpoint(key, receiver.url("/hooks/orders"));
            String payload = "{\"order_id\":42,\"items\":[\"a\",\"b\"],\"note\":\"caf\\u00e9 \\u2713\"}";

            long queuedFrom = System.currentTimeMillis();
            ApiClient.Response accepted = service.call("POST", "/v1/events", key,
                    "{\"event_type\":\"order.created\",\"source\":\"shop\",\"payload\":" + payload
                            + ",\"metadata\":{\"correlation_id\":\"c-1\"}}");
            assertThat(accepted.status()).isEqualTo(201);
            String eventId = accepted.body().get("event_id").stringValue();

            // Acknowledged entries are deleted from the stream, so the entry's absence means it was acknowledged.
            await().atMost(DELIVERY_WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)) && service.streamEntryOf(eventId).isEmpty());
            long queuedTo = System.currentTimeMillis();

            List<Received> received = receiver.received();
            assertThat(received).hasSize(1);
            Received webhook = received.get(0);
            assertThat(webhook.method()).isEqualTo("POST");
            assertThat(webhook.path()).isEqualTo("/hooks/orders");
            assertThat(webhook.header("webhook-id")).isEqualTo(eventId);
            assertThat(webhook.header("content-type")).startsWith("application/json");
            assertThat(webhook.header("user-agent")).startsWith("Triggers-Webhooks/");
            // No traceparent was sent and nothing is sampled (the default): the trace is named by the event id.
            assertThat(webhook.header("traceparent")).matches("00-" + eventId.replace("-", "") + "-[0-9a-f]{16}-00");
            assertThat(Long.parseLong(webhook.header("webhook-timestamp")))
                    .isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(60L));

            // The reference library, not our signer, decides whether the signature is right.
            String secret = endpoint.get("secret").stringValue();
            assertThatCode(() -> new Webhook(secret).verify(webhook.bodyText(), webhook.httpHeaders())).doesNotThrowAnyException();

            JsonNode body = JSON.readTree(webhook.body());
            assertThat(body.get("id").stringValue()).isEqualTo(eventId);
            assertThat(body.get("type").stringValue()).isEqualTo("order.created");
            assertThat(body.get("source").stringValue()).isEqualTo("shop");
            assertThat(body.get("timestamp").stringValue()).isEqualTo(accepted.body().get("created_at").stringValue());
            assertThat(body.get("data")).isEqualTo(JSON.readTree(payload));
            assertThat(body.get("metadata").get("correlation_id").stringValue()).isEqualTo("c-1");

            try (Connection db = service.jdbc()) {
                assertThat(single(db, "SELECT delivered_at IS NOT NULL FROM events WHERE id = ?", eventId)).isEqualTo("t");
                assertThat(single(db, "SELECT status || ' ' || attempts || ' ' || last_status_code FROM deliveries WHERE event_id = ?",
                        eventId)).isEqualTo("delivered 1 200");
                assertThat(single(db, "SELECT count(*) || ' ' || min(status_code) FROM delivery_attempts WHERE event_id = ?",
                        eventId)).isEqualTo("1 200");
            }
            assertThat(service.anyPendingBetween(queuedFrom, queuedTo)).as("nothing left pending").isFalse();
        }
    }

    @Test
    void aReceiverAnswering500LeavesTheDeliveryFailedWithTheAttemptRecordedAndTheEntryPending() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(500)) {
            String key = service.newOrganizationKey("failing");
            service.newEndpoint(key, receiver.url("/broken"));

            String eventId = service.ingest(key);
            io.triggers.testing.TestQueue.Entry messageId = service.streamEntryOf(eventId).orElseThrow();

            await().atMost(DELIVERY_WAIT).until(() -> "failed".equals(service.eventStatus(eventId)));
            // Not acknowledged, now or a moment later: the entry stays pending for a retry.
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> service.isPending(messageId));

            assertThat(receiver.received()).hasSize(1);
            try (Connection db = service.jdbc()) {
                assertThat(single(db, "SELECT status || ' ' || attempts || ' ' || last_status_code FROM deliveries WHERE event_id = ?",
                        eventId)).isEqualTo("failed 1 500");
                assertThat(single(db, "SELECT count(*) || ' ' || min(status_code) || ' ' || min(attempt) FROM delivery_attempts WHERE event_id = ?",
                        eventId)).isEqualTo("1 500 1");
                assertThat(single(db, "SELECT response_excerpt FROM delivery_attempts WHERE event_id = ?", eventId))
                        .isEqualTo("{\"received\":false}");
            }
        }
    }

    @Test
    void oneFailingEndpointDoesNotStopDeliveryToTheOthers() throws Exception {
        // The healthy endpoint is slow, so the failure is known while its delivery is still in flight.
        try (WebhookReceiver healthy = WebhookReceiver.start().respondWith(request -> slowly(200));
             WebhookReceiver broken = WebhookReceiver.start().respondWith(503)) {
            String key = service.newOrganizationKey("mixed");
            String healthyId = service.newEndpoint(key, healthy.url("/ok")).get("id").stringValue();
            String brokenId = service.newEndpoint(key, broken.url("/down")).get("id").stringValue();

            String eventId = service.ingest(key);
            await().atMost(DELIVERY_WAIT).until(() -> "failed".equals(service.eventStatus(eventId))
                    && deliveryStatuses(eventId).size() == 2 && !deliveryStatuses(eventId).contains("pending"));
            assertThat(healthy.received()).hasSize(1);
            assertThat(broken.received()).hasSize(1);
            try (Connection db = service.jdbc()) {
                assertThat(single(db, "SELECT status FROM deliveries WHERE event_id = ? AND endpoint_id = '" + healthyId + "'", eventId))
                        .isEqualTo("delivered");
                assertThat(single(db, "SELECT status FROM deliveries WHERE event_id = ? AND endpoint_id = '" + brokenId + "'", eventId))
                        .isEqualTo("failed");
            }
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> service.isPendingEvent(eventId));
        }
    }

    @Test
    void anEventNoEndpointWantsStaysPendingAndIsNotQueued() throws Exception {
        String key = service.newOrganizationKey("pull-only");
        String eventId = service.ingest(key);
        assertThat(service.streamEntryOf(eventId)).isEmpty();
        assertThat(service.eventStatus(eventId)).isEqualTo("pending");
    }

    private static int slowly(int status) {
        try {
            Thread.sleep(500); // simulated receiver latency, not a wait for a condition
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return status;
    }

    private static List<String> deliveryStatuses(String eventId) throws SQLException {
        try (Connection db = service.jdbc(); PreparedStatement query = db.prepareStatement("SELECT status FROM deliveries WHERE event_id = ?")) {
            query.setObject(1, UUID.fromString(eventId));
            List<String> statuses = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    statuses.add(rows.getString(1));
                }
            }
            return statuses;
        }
    }

    private static String single(Connection db, String sql, String eventId) throws SQLException {
        try (PreparedStatement query = db.prepareStatement(sql)) {
            query.setObject(1, UUID.fromString(eventId));
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }
}
