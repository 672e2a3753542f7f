package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import com.standardwebhooks.Webhook;
import io.triggers.testing.WebhookReceiver;
import io.triggers.testing.WebhookReceiver.Received;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Secret rotation on the wire, attempts, replay and dead letters, with api and worker running. */
class DeliveryManagementTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static RunningService service;

    @BeforeAll
    static void start() {
        service = RunningService.start(Map.of(
                "triggers.delivery.retry-schedule", "100ms,100ms",
                // Failing endpoints open their circuit; keep it short so replays here go through soon.
                "triggers.delivery.circuit-open-for", "500ms",
                "triggers.worker.heartbeat-every", "50ms"));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void afterASecretRotationDeliveriesCarryBothSignatures() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("rotation");
            JsonNode endpoint = service.newEndpoint(key, receiver.url("/signed"));
            String oldSecret = endpoint.get("secret").stringValue();
            String newSecret = service.call("POST", "/v1/endpoints/" + endpoint.get("id").stringValue() + "/secret/rotate", key, null)
                    .body().get("secret").stringValue();

            String eventId = service.ingest(key);
            await().atMost(WAIT).until(() -> receiver.received().size() == 1);

            Received webhook = receiver.received().get(0);
            assertThat(webhook.header("webhook-id")).isEqualTo(eventId);
            assertThat(webhook.header("webhook-signature").split(" ")).hasSize(2);
            assertThatCode(() -> new Webhook(newSecret).verify(webhook.bodyText(), webhook.httpHeaders())).doesNotThrowAnyException();
            assertThatCode(() -> new Webhook(oldSecret).verify(webhook.bodyText(), webhook.httpHeaders())).doesNotThrowAnyException();
        }
    }

    @Test
    void theOldSecretStopsSigningWhenItsDayIsOver() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("rotation-expiry");
            JsonNode endpoint = service.newEndpoint(key, receiver.url("/signed"));
            String id = endpoint.get("id").stringValue();
            String newSecret = service.call("POST", "/v1/endpoints/" + id + "/secret/rotate", key, null).body().get("secret").stringValue();
            try (Connection db = service.jdbc();
                 PreparedStatement expire = db.prepareStatement("UPDATE endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = ?")) {
                expire.setObject(1, UUID.fromString(id));
                expire.executeUpdate();
            }
            service.ingest(key);
            await().atMost(WAIT).until(() -> receiver.received().size() == 1);
            Received webhook = receiver.received().get(0);
            assertThat(webhook.header("webhook-signature").split(" ")).hasSize(1);
            assertThatCode(() -> new Webhook(newSecret).verify(webhook.bodyText(), webhook.httpHeaders())).doesNotThrowAnyException();
        }
    }

    @Test
    void connectionsToAHostAreReused() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("pooling");
            service.newEndpoint(key, receiver.url("/pooled"));
            for (int i = 0; i < 10; i++) {
                int expected = i + 1;
                service.ingest(key);
                await().atMost(WAIT).until(() -> receiver.received().size() == expected);
            }
            Set<Integer> connections = new HashSet<>();
            receiver.received().forEach(webhook -> connections.add(webhook.clientPort()));
            System.out.printf("10 sequential deliveries used %d connection(s)%n", connections.size());
            assertThat(connections).hasSizeLessThan(10);
        }
    }

    @Test
    void attemptsAreListedAndAReplayDeliversAgainAsNewAttempts() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> calls.incrementAndGet() == 1 ? 502 : 200);
             WebhookReceiver second = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("replay");
            service.newEndpoint(key, receiver.url("/first"));
            String eventId = service.ingest(key);
            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)));

            JsonNode attempts = service.call("GET", "/v1/events/" + eventId + "/attempts", key, null).body().get("attempts");
            assertThat(attempts).hasSize(2);
            assertThat(attempts.get(0).get("attempt").intValue()).isEqualTo(1);
            assertThat(attempts.get(0).get("status_code").intValue()).isEqualTo(502);
            assertThat(attempts.get(0).get("response_excerpt").stringValue()).isEqualTo("{\"received\":false}");
            assertThat(attempts.get(1).get("status_code").intValue()).isEqualTo(200);
            assertThat(attempts.get(1).get("duration_ms").isNumber()).isTrue();

            ApiClient.Response replay = service.call("POST", "/v1/events/" + eventId + "/replay", key, null);
            assertThat(replay.status()).isEqualTo(202);
            await().atMost(WAIT).until(() -> receiver.received().size() == 3);
            assertThat(receiver.received().get(2).header("webhook-id")).isEqualTo(eventId);
            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)));
            assertThat(service.call("GET", "/v1/events/" + eventId + "/attempts", key, null).body().get("attempts")).hasSize(3);

            // Replay to one endpoint only: one added since the event was ingested.
            String secondId = service.newEndpoint(key, second.url("/second")).get("id").stringValue();
            assertThat(service.call("POST", "/v1/events/" + eventId + "/replay", key, "{\"endpoint_id\":\"" + secondId + "\"}").status())
                    .isEqualTo(202);
            await().atMost(WAIT).until(() -> second.received().size() == 1);
            assertThat(receiver.received()).hasSize(3);

            assertThat(service.call("POST", "/v1/events/" + eventId + "/replay", key,
                    "{\"endpoint_id\":\"" + UUID.randomUUID() + "\"}").status()).isEqualTo(404);
            String other = service.newOrganizationKey("not-mine");
            assertThat(service.call("POST", "/v1/events/" + eventId + "/replay", other, null).status()).isEqualTo(404);
            assertThat(service.call("GET", "/v1/events/" + eventId + "/attempts", other, null).status()).isEqualTo(404);
        }
    }

    @Test
    void aReplayStartsTheRetryScheduleOverAndAttemptNumbersKeepCountingUp() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(500)) {
            String key = service.newOrganizationKey("replay-schedule");
            service.newEndpoint(key, receiver.url("/down"));
            String eventId = service.ingest(key);
            // Schedule 100ms,100ms: the first attempt and two retries, then dead.
            await().atMost(WAIT).until(() -> "dead".equals(service.eventStatus(eventId)));
            assertThat(receiver.received()).hasSize(3);

            assertThat(service.call("POST", "/v1/events/" + eventId + "/replay", key, null).status()).isEqualTo(202);
            // The whole schedule again, not only the step after the last one.
            await().atMost(WAIT).until(() -> receiver.received().size() == 6 && "dead".equals(service.eventStatus(eventId)));
            JsonNode attempts = service.call("GET", "/v1/events/" + eventId + "/attempts", key, null).body().get("attempts");
            assertThat(attempts).extracting(attempt -> attempt.get("attempt").intValue()).containsExactly(1, 2, 3, 4, 5, 6);
        }
    }

    @Test
    void aReplayWhileTheDeliveryIsStillOutstandingPutsNoSecondOneOnTheQueue() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(Responders.heldUntil(release))) {
            String key = service.newOrganizationKey("replay-outstanding");
            service.newEndpoint(key, receiver.url("/slow"));
            String eventId = service.ingest(key);
            await().atMost(WAIT).until(() -> receiver.received().size() == 1); // in flight, held by the receiver

            assertThat(service.call("POST", "/v1/events/" + eventId + "/replay", key, null).status()).isEqualTo(202);
            assertThat(service.queue().entriesOf(eventId)).hasSize(1);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> receiver.received().size() == 1);
            release.countDown();

            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)) && !service.queue().isQueued(eventId));
            assertThat(receiver.received()).hasSize(1);
        }
    }

    @Test
    void deadLettersAreListedNewestFirstPageByPageAndCanBeReplayed() throws Exception {
        AtomicInteger mode = new AtomicInteger(500);
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> mode.get())) {
            String key = service.newOrganizationKey("dead-letters");
            service.newEndpoint(key, receiver.url("/down"));
            List<String> dead = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String eventId = service.ingest(key);
                await().atMost(WAIT).until(() -> "dead".equals(service.eventStatus(eventId)));
                dead.add(eventId);
            }

            List<String> listed = new ArrayList<>();
            String cursor = null;
            do {
                JsonNode page = service.call("GET", "/v1/dead-letters?limit=1" + (cursor == null ? "" : "&cursor=" + cursor), key, null).body();
                assertThat(page.get("events")).hasSize(1);
                JsonNode event = page.get("events").get(0);
                assertThat(event.get("status").stringValue()).isEqualTo("dead");
                assertThat(event.get("last_error").isNull()).isFalse();
                assertThat(Instant.parse(event.get("expires_at").stringValue())).as("created_at + 30 days (undelivered retention)")
                        .isEqualTo(Instant.parse(event.get("created_at").stringValue()).plus(Duration.ofDays(30)));
                listed.add(event.get("event_id").stringValue());
                cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").stringValue();
            } while (cursor != null);
            assertThat(listed).containsExactly(dead.get(2), dead.get(1), dead.get(0));
            assertThat(service.call("GET", "/v1/dead-letters?cursor=forged", key, null).status()).isEqualTo(400);
            assertThat(service.call("GET", "/v1/dead-letters?limit=0", key, null).status()).isEqualTo(400);
            assertThat(service.call("GET", "/v1/dead-letters", service.newOrganizationKey("empty"), null).body().get("events")).isEmpty();

            mode.set(200);
            int before = receiver.received().size();
            ApiClient.Response byId = service.call("POST", "/v1/dead-letters/replay", key, "{\"event_ids\":[\"" + dead.get(0) + "\"]}");
            assertThat(byId.status()).isEqualTo(202);
            assertThat(byId.body().get("replayed").intValue()).isEqualTo(1);
            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(dead.get(0))));

            ApiClient.Response since = service.call("POST", "/v1/dead-letters/replay", key,
                    "{\"since\":\"" + Instant.now().minusSeconds(600) + "\"}");
            assertThat(since.body().get("replayed").intValue()).isEqualTo(2);
            await().atMost(WAIT).until(() -> dead.stream().allMatch(id -> "delivered".equals(service.eventStatus(id))));
            Set<String> redelivered = new HashSet<>();
            receiver.received().subList(before, receiver.received().size()).forEach(r -> redelivered.add(r.header("webhook-id")));
            assertThat(redelivered).containsExactlyInAnyOrderElementsOf(dead);
            assertThat(service.call("POST", "/v1/dead-letters/replay", key, "{}").status()).isEqualTo(400);
        }
    }

    @Test
    void redirectsAreNotFollowedAndOnlyAKibOfTheAnswerIsKept() throws Exception {
        try (WebhookReceiver elsewhere = WebhookReceiver.start();
             WebhookReceiver moved = WebhookReceiver.start().respondWith(302).withBody("x".repeat(5000))) {
            moved.withHeader("Location", elsewhere.url("/new-home"));
            String key = service.newOrganizationKey("redirect");
            service.newEndpoint(key, moved.url("/old-home"));
            String eventId = service.ingest(key);

            await().atMost(WAIT).until(() -> "dead".equals(service.eventStatus(eventId)));
            assertThat(elsewhere.received()).isEmpty();
            JsonNode attempts = service.call("GET", "/v1/events/" + eventId + "/attempts", key, null).body().get("attempts");
            assertThat(attempts).isNotEmpty().allSatisfy(attempt -> {
                assertThat(attempt.get("status_code").intValue()).isEqualTo(302);
                assertThat(attempt.get("response_excerpt").stringValue()).hasSize(1024);
            });
        }
    }

}
