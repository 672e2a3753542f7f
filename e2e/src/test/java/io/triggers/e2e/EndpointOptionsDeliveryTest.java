package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.e2e.ApiClient.Response;
import io.triggers.testing.WebhookReceiver;
import io.triggers.testing.WebhookReceiver.Received;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Endpoint options at a real receiver (issue 19): the static headers arrive with every delivery
 * (beside the service's own, which they cannot replace), the endpoint's own retry schedule replaces
 * the service's, and a filter keeps events that do not match away from the endpoint.
 */
class EndpointOptionsDeliveryTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static RunningService service;

    @BeforeAll
    static void start() {
        // The service's own schedule would keep a failing delivery for an hour.
        service = RunningService.start(Map.of("triggers.delivery.retry-schedule", "1h",
                "triggers.delivery.circuit-open-for", "100ms"));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void staticHeadersArriveWithTheSignature() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("headers");
            Response endpoint = service.call("POST", "/v1/endpoints", key, "{\"url\":\"" + receiver.url("/h")
                    + "\",\"headers\":{\"Authorization\":\"Bearer receiver-token-1\",\"X-Tenant\":\"acme\"}}");
            assertThat(endpoint.status()).isEqualTo(201);
            String eventId = service.ingest(key);

            await().atMost(WAIT).until(() -> receiver.received().size() == 1);
            Received webhook = receiver.received().get(0);
            assertThat(webhook.header("Authorization")).isEqualTo("Bearer receiver-token-1");
            assertThat(webhook.header("X-Tenant")).isEqualTo("acme");
            assertThat(webhook.header("webhook-id")).isEqualTo(eventId);
            assertThat(webhook.header("webhook-signature")).startsWith("v1,");
            assertThat(webhook.header("content-type")).isEqualTo("application/json");
        }
    }

    @Test
    void theEndpointsOwnScheduleReplacesTheServices() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(500)) {
            String key = service.newOrganizationKey("schedule");
            Response endpoint = service.call("POST", "/v1/endpoints", key, "{\"url\":\"" + receiver.url("/s")
                    + "\",\"retry_schedule\":[\"200ms\",\"300ms\"]}");
            assertThat(endpoint.status()).isEqualTo(201);
            String eventId = service.ingest(key);

            // The first attempt and two retries, then dead: with the service's schedule the first retry would wait an hour.
            await().atMost(WAIT).until(() -> "dead".equals(service.eventStatus(eventId)));
            List<Received> attempts = receiver.received();
            assertThat(attempts).hasSize(3);
            Duration firstWait = Duration.between(attempts.get(0).receivedAt(), attempts.get(1).receivedAt());
            assertThat(firstWait).isBetween(Duration.ofMillis(150), Duration.ofSeconds(5));
        }
    }

    @Test
    void eventsTheFilterRefusesNeverReachTheEndpoint() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("filter");
            Response endpoint = service.call("POST", "/v1/endpoints", key, "{\"url\":\"" + receiver.url("/f")
                    + "\",\"filter\":{\"data.amount\":{\"$gte\":100},\"metadata.region\":{\"$in\":[\"eu\",\"uk\"]}}}");
            assertThat(endpoint.status()).isEqualTo(201);
            String small = ingest(key, "{\"event_type\":\"order.created\",\"payload\":{\"amount\":5},\"metadata\":{\"region\":\"eu\"}}");
            String elsewhere = ingest(key, "{\"event_type\":\"order.created\",\"payload\":{\"amount\":500},\"metadata\":{\"region\":\"us\"}}");
            String matching = ingest(key, "{\"event_type\":\"order.created\",\"payload\":{\"amount\":500},\"metadata\":{\"region\":\"uk\"}}");

            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(matching)));
            assertThat(receiver.received()).extracting(r -> r.header("webhook-id")).containsExactly(matching);
            // Without a matching endpoint the others stay pending, for pull consumers.
            assertThat(service.eventStatus(small)).isEqualTo("pending");
            assertThat(service.eventStatus(elsewhere)).isEqualTo("pending");
        }
    }

    @Test
    void aTestEventReachesTheEndpointSigned() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("test event");
            Response endpoint = service.call("POST", "/v1/endpoints", key, "{\"url\":\"" + receiver.url("/t")
                    + "\",\"event_types\":[\"never.sent\"]}");
            Response sent = service.call("POST", "/v1/endpoints/" + endpoint.body().get("id").stringValue() + "/test", key, null);
            assertThat(sent.status()).isEqualTo(202);
            String eventId = sent.body().get("event_id").stringValue();

            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)));
            assertThat(receiver.received()).singleElement().satisfies(webhook -> {
                assertThat(webhook.header("webhook-id")).isEqualTo(eventId);
                assertThat(webhook.bodyText()).contains("\"type\":\"triggers.test\"");
            });
        }
    }

    private static String ingest(String key, String body) {
        Response created = service.call("POST", "/v1/events", key, body);
        assertThat(created.status()).isEqualTo(201);
        return created.body().get("event_id").stringValue();
    }
}
