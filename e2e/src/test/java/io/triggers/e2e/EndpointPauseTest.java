package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.testing.WebhookReceiver;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Disabling an endpoint by hand pauses what it is owed (neither attempted nor dead-lettered, the
 * event keeps its status); enabling it resumes them. The service disabling it still dead-letters.
 */
class EndpointPauseTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static RunningService service;

    @BeforeAll
    static void start() {
        service = RunningService.start(Map.of(
                // Long enough to be disabled while waiting out a step, short enough to come due in the test.
                "triggers.delivery.retry-schedule", "700ms,700ms,700ms,700ms,700ms,700ms,700ms,700ms",
                "triggers.delivery.circuit-open-for", "200ms",
                "triggers.worker.heartbeat-every", "50ms"));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void disablingByHandPausesOwedDeliveriesAndEnablingResumesThem() throws Exception {
        AtomicInteger answer = new AtomicInteger(500);
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> answer.get())) {
            String key = service.newOrganizationKey("pause-by-hand");
            String endpoint = service.newEndpoint(key, receiver.url("/paused")).get("id").stringValue();
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                events.add(service.ingest(key));
            }
            await().atMost(WAIT).until(() -> events.stream().allMatch(id -> "failed".equals(service.eventStatus(id))));

            JsonNode disabled = patch(key, endpoint, "{\"enabled\":false}");
            assertThat(disabled.get("enabled").booleanValue()).isFalse();
            assertThat(disabled.has("disabled_reason")).as("no reason: disabled by hand").isFalse();
            // (An attempt in flight as the endpoint was disabled may store "failed" after the pause; its
            // retry is paused by the worker, so wait rather than look once.)
            await().atMost(WAIT).until(() -> events.stream()
                    .allMatch(id -> "paused".equals(event(key, id).get("deliveries").get(0).get("status").stringValue())));
            // Their retries come due and find nothing owed: the entries leave the queue, nothing is sent.
            await().atMost(WAIT).until(() -> events.stream().allMatch(id -> service.streamEntryOf(id).isEmpty()));
            int sentWhileEnabled = receiver.received().size();
            for (String id : events) {
                JsonNode event = event(key, id);
                assertThat(event.get("status").stringValue()).isEqualTo("failed");
                assertThat(event.get("deliveries").get(0).get("status").stringValue()).isEqualTo("paused");
            }
            assertThat(service.call("GET", "/v1/dead-letters", key, null).body().get("events")).as("nothing dead-lettered").isEmpty();
            String whileDisabled = service.ingest(key);
            assertThat(event(key, whileDisabled).get("deliveries")).as("not fanned out to a disabled endpoint").isEmpty();

            answer.set(200);
            assertThat(patch(key, endpoint, "{\"enabled\":true}").get("enabled").booleanValue()).isTrue();
            await().atMost(WAIT).until(() -> events.stream().allMatch(id -> "delivered".equals(service.eventStatus(id))));
            assertThat(receiver.received()).hasSize(sentWhileEnabled + events.size());
            for (String id : events) {
                JsonNode delivery = event(key, id).get("deliveries").get(0);
                assertThat(delivery.get("status").stringValue()).isEqualTo("delivered");
                assertThat(delivery.get("attempts").intValue()).as("attempt numbers go on").isGreaterThan(1);
            }
        }
    }

    @Test
    void aRetryThatComesDueWhileTheEndpointIsDisabledByHandPausesInsteadOfDying() throws Exception {
        AtomicInteger answer = new AtomicInteger(500);
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> answer.get())) {
            String key = service.newOrganizationKey("pause-in-worker");
            String endpoint = service.newEndpoint(key, receiver.url("/paused-later")).get("id").stringValue();
            String eventId = service.ingest(key);
            await().atMost(WAIT).until(() -> "failed".equals(service.eventStatus(eventId)));
            // Disabled by hand behind the api's back (as when an attempt in flight scheduled a retry after
            // the api paused the rest): the worker meets the retry and pauses it.
            execute("UPDATE endpoints SET enabled = false, disabled_reason = NULL WHERE id = '" + endpoint + "'");

            await().atMost(WAIT).until(() -> "paused".equals(event(key, eventId).get("deliveries").get(0).get("status").stringValue()));
            assertThat(service.eventStatus(eventId)).isEqualTo("failed");
            await().atMost(WAIT).until(() -> service.streamEntryOf(eventId).isEmpty());

            answer.set(200);
            patch(key, endpoint, "{\"enabled\":true}");
            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)));
        }
    }

    @Test
    void anEndpointTheServiceDisabledStillDeadLettersWithTheReason() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(410)) {
            String key = service.newOrganizationKey("gone");
            String endpoint = service.newEndpoint(key, receiver.url("/gone")).get("id").stringValue();
            String first = service.ingest(key);
            await().atMost(WAIT).until(() -> "dead".equals(service.eventStatus(first)));
            assertThat(service.call("GET", "/v1/endpoints/" + endpoint, key, null).body().get("disabled_reason").stringValue())
                    .contains("410");
            JsonNode dead = service.call("GET", "/v1/dead-letters", key, null).body().get("events");
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0).get("event_id").stringValue()).isEqualTo(first);
        }
    }

    private static JsonNode patch(String key, String endpoint, String body) {
        ApiClient.Response response = service.call("PATCH", "/v1/endpoints/" + endpoint, key, body);
        assertThat(response.status()).isEqualTo(200);
        return response.body();
    }

    private static JsonNode event(String key, String eventId) {
        return service.call("GET", "/v1/events/" + eventId, key, null).body();
    }

    private static void execute(String sql) throws Exception {
        try (Connection db = service.jdbc(); PreparedStatement statement = db.prepareStatement(sql)) {
            statement.executeUpdate();
        }
    }
}
