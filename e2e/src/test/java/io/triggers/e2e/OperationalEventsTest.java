package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.e2e.ApiClient.Response;
import io.triggers.testing.WebhookReceiver;
import io.triggers.testing.WebhookReceiver.Received;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Operational events at real receivers (issue 19): {@code triggers.delivery.dead},
 * {@code triggers.endpoint.disabled} (410, failing too long, by hand), {@code .enabled} and
 * {@code .recovered} reach only the endpoints that ask for them, are stored only then, never appear
 * in the inbox, and never cause one another.
 */
class OperationalEventsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static RunningService service;

    @BeforeAll
    static void start() {
        service = RunningService.start(Map.of("triggers.delivery.retry-schedule", "1h",
                "triggers.delivery.circuit-open-for", "100ms",
                "triggers.delivery.disable-after-failing", "1s"));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void aDeadDeliveryIsToldToTheSubscribersOnlyAndNeverLoops() throws Exception {
        try (WebhookReceiver failing = WebhookReceiver.start().respondWith(500);
             WebhookReceiver subscriber = WebhookReceiver.start();
             WebhookReceiver deadSubscriber = WebhookReceiver.start().respondWith(500);
             WebhookReceiver everything = WebhookReceiver.start()) {
            String key = service.newUnlimitedOrganizationKey("dead-notice");
            String failingId = endpoint(key, failing.url("/f"), "[\"order.*\"]", "[\"100ms\"]");
            endpoint(key, subscriber.url("/s"), "[\"triggers.delivery.dead\"]", null);
            // Subscribed too, but failing: its copy of the notice dies, and that death is told to nobody.
            String deadSubscriberId = endpoint(key, deadSubscriber.url("/d"), "[\"triggers.*\"]", "[\"100ms\"]");
            endpoint(key, everything.url("/e"), "[]", null);

            String eventId = ingest(key, "order.created");
            await().atMost(WAIT).until(() -> subscriber.received().size() == 1);
            JsonNode notice = JSON.readTree(subscriber.received().get(0).bodyText());
            assertThat(notice.get("type").stringValue()).isEqualTo("triggers.delivery.dead");
            assertThat(notice.get("source").stringValue()).isEqualTo("triggers");
            assertThat(notice.get("data").get("event_id").stringValue()).isEqualTo(eventId);
            assertThat(notice.get("data").get("endpoint_id").stringValue()).isEqualTo(failingId);
            assertThat(notice.get("data").get("last_error").stringValue()).isEqualTo("HTTP 500");
            String noticeId = notice.get("id").stringValue();

            // The failing subscriber got the notice twice (an attempt and its one retry), then it died there.
            await().atMost(WAIT).until(() -> "dead".equals(deliveryStatus(noticeId, deadSubscriberId)));
            assertThat(deadSubscriber.received()).hasSize(2);
            await().atMost(WAIT).until(() -> "delivered".equals(deliveryStatusOfType(key, "order.created")));
            assertThat(everything.received()).as("empty event_types receives no operational event")
                    .extracting(r -> r.header("webhook-id")).containsExactly(eventId);
            // Nothing more comes of the notice's death: one operational event in all.
            assertThat(eventTypes(key)).containsExactlyInAnyOrder("order.created", "triggers.delivery.dead");
            assertThat(subscriber.received()).hasSize(1);

            Response inbox = service.call("GET", "/v1/inbox", key, null);
            assertThat(inbox.body().get("events")).extracting(e -> e.get("event_type").stringValue())
                    .as("operational events are never in the inbox").doesNotContain("triggers.delivery.dead");
            Response log = service.call("GET", "/v1/events?event_type=triggers.delivery.dead", key, null);
            assertThat(log.body().get("events")).extracting(e -> e.get("event_id").stringValue()).containsExactly(noticeId);
        }
    }

    @Test
    void nothingIsStoredWhenNoEndpointAsks() throws Exception {
        try (WebhookReceiver failing = WebhookReceiver.start().respondWith(500)) {
            String key = service.newUnlimitedOrganizationKey("nobody-asks");
            endpoint(key, failing.url("/f"), "[]", "[\"100ms\"]");
            String eventId = ingest(key, "order.created");
            await().atMost(WAIT).until(() -> "dead".equals(service.eventStatus(eventId)));
            assertThat(eventTypes(key)).containsExactly("order.created");
        }
    }

    @Test
    void endpointsDisabledByTheServiceOrByHandEnabledAndRecoveredAreTold() throws Exception {
        AtomicInteger flaky = new AtomicInteger();
        try (WebhookReceiver subscriber = WebhookReceiver.start();
             WebhookReceiver gone = WebhookReceiver.start().respondWith(410);
             WebhookReceiver recovering = WebhookReceiver.start().respondWith(request -> flaky.getAndIncrement() == 0 ? 503 : 200);
             WebhookReceiver down = WebhookReceiver.start().respondWith(500)) {
            String key = service.newUnlimitedOrganizationKey("endpoint-notices");
            endpoint(key, subscriber.url("/s"), "[\"triggers.endpoint.*\"]", null);
            String goneId = endpoint(key, gone.url("/g"), "[\"gone.*\"]", null);
            String recoveringId = endpoint(key, recovering.url("/r"), "[\"flaky.*\"]", "[\"200ms\"]");
            String downId = endpoint(key, down.url("/d"), "[\"down.*\"]", "[\"400ms\",\"400ms\",\"400ms\",\"400ms\",\"400ms\"]");

            ingest(key, "gone.now");
            JsonNode disabled = awaitNotice(subscriber, "triggers.endpoint.disabled", goneId);
            assertThat(disabled.get("data").get("reason").stringValue()).isEqualTo("the receiver answered 410 Gone");
            assertThat(disabled.get("data").get("url").stringValue()).isEqualTo(gone.url("/g"));

            ingest(key, "flaky.once");
            JsonNode recovered = awaitNotice(subscriber, "triggers.endpoint.recovered", recoveringId);
            assertThat(recovered.get("data").get("url").stringValue()).isEqualTo(recovering.url("/r"));

            // Failing for longer than disable-after-failing (1 s here): the service disables it.
            ingest(key, "down.again");
            JsonNode failedTooLong = awaitNotice(subscriber, "triggers.endpoint.disabled", downId);
            assertThat(failedTooLong.get("data").get("reason").stringValue()).startsWith("failing continuously since ");

            assertThat(service.call("PATCH", "/v1/endpoints/" + goneId, key, "{\"enabled\":true}").status()).isEqualTo(200);
            awaitNotice(subscriber, "triggers.endpoint.enabled", goneId);
            assertThat(service.call("PATCH", "/v1/endpoints/" + goneId, key, "{\"enabled\":false}").status()).isEqualTo(200);
            await().atMost(WAIT).until(() -> notices(subscriber, "triggers.endpoint.disabled", goneId).size() == 2);
            assertThat(notices(subscriber, "triggers.endpoint.disabled", goneId).get(1).get("data").get("reason").stringValue())
                    .isEqualTo("disabled by hand");
            // A PATCH that changes nothing about enabled tells nothing.
            assertThat(service.call("PATCH", "/v1/endpoints/" + goneId, key, "{\"enabled\":false,\"description\":\"x\"}").status())
                    .isEqualTo(200);
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                    .until(() -> notices(subscriber, "triggers.endpoint.disabled", goneId).size() == 2);
            assertThat(notices(subscriber, "triggers.endpoint.recovered", recoveringId)).as("told once").hasSize(1);
        }
    }

    private static JsonNode awaitNotice(WebhookReceiver subscriber, String type, String endpointId) {
        await().atMost(WAIT).until(() -> !notices(subscriber, type, endpointId).isEmpty());
        return notices(subscriber, type, endpointId).get(0);
    }

    private static List<JsonNode> notices(WebhookReceiver subscriber, String type, String endpointId) {
        List<JsonNode> found = new ArrayList<>();
        for (Received webhook : subscriber.received()) {
            JsonNode body = JSON.readTree(webhook.bodyText());
            if (type.equals(body.get("type").stringValue()) && endpointId.equals(body.get("data").get("endpoint_id").stringValue())) {
                found.add(body);
            }
        }
        return found;
    }

    private static String endpoint(String key, String url, String eventTypes, String schedule) {
        Response created = service.call("POST", "/v1/endpoints", key, "{\"url\":\"" + url + "\",\"event_types\":" + eventTypes
                + (schedule == null ? "" : ",\"retry_schedule\":" + schedule) + "}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.body().get("id").stringValue();
    }

    private static String ingest(String key, String type) {
        Response created = service.call("POST", "/v1/events", key, "{\"event_type\":\"" + type + "\",\"payload\":{\"n\":1}}");
        assertThat(created.status()).isEqualTo(201);
        return created.body().get("event_id").stringValue();
    }

    private static String deliveryStatus(String eventId, String endpointId) throws SQLException {
        try (Connection db = service.jdbc();
             PreparedStatement query = db.prepareStatement("SELECT status FROM deliveries WHERE event_id = ?::uuid AND endpoint_id = ?::uuid")) {
            query.setString(1, eventId);
            query.setString(2, endpointId);
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    /** The status of the delivery of the organization's event of that type to its endpoint whose url path is {@code /e}. */
    private static String deliveryStatusOfType(String key, String type) throws SQLException {
        String organizationId = service.call("GET", "/v1/me", key, null).body().get("organization_id").stringValue();
        try (Connection db = service.jdbc();
             PreparedStatement query = db.prepareStatement("""
                     SELECT d.status FROM deliveries d JOIN events e ON e.id = d.event_id JOIN endpoints ep ON ep.id = d.endpoint_id
                     WHERE e.organization_id = ?::uuid AND e.event_type = ? AND ep.url LIKE '%/e'""")) {
            query.setString(1, organizationId);
            query.setString(2, type);
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    private static List<String> eventTypes(String key) throws SQLException {
        String organizationId = service.call("GET", "/v1/me", key, null).body().get("organization_id").stringValue();
        List<String> types = new ArrayList<>();
        try (Connection db = service.jdbc();
             PreparedStatement query = db.prepareStatement("SELECT event_type FROM events WHERE organization_id = ?::uuid")) {
            query.setString(1, organizationId);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    types.add(rows.getString(1));
                }
            }
        }
        return types;
    }
}
