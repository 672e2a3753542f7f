package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.testing.TestRedisCluster;
import io.triggers.testing.WebhookReceiver;
import io.triggers.testing.WebhookReceiver.Received;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The delivery contract with both apps on a Redis Cluster (issue 18), where every shard's keys live
 * in one slot and the shards are spread over three masters: events of many organizations delivered,
 * retries on schedule to the dead letters and replayed from there, and the reconciler queueing
 * again what the cluster lost. Black box: the HTTP API, loopback receivers and PostgreSQL.
 */
class ClusterDeliveryTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static TestRedisCluster cluster;
    private static RunningService service;

    @BeforeAll
    static void start() {
        cluster = TestRedisCluster.get();
        cluster.awaitHealthy();
        service = RunningService.with(Map.of(
                        "triggers.delivery.retry-schedule", "200ms,300ms",
                        "triggers.reconciler.every", "200ms",
                        "triggers.reconciler.grace", "500ms",
                        "triggers.worker.heartbeat-every", "50ms"))
                .onCluster(cluster)
                .start();
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void eventsOfManyOrganizationsAreDeliveredOnceEach() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                String key = service.newOrganizationKey("cluster-many-" + i);
                service.newEndpoint(key, receiver.url("/org-" + i));
                List<String> bodies = new ArrayList<>();
                for (int n = 0; n < 10; n++) {
                    bodies.add("{\"event_type\":\"cluster.test\",\"payload\":{\"n\":" + n + "}}");
                }
                events.addAll(service.ingestBatch(key, bodies));
            }

            await().atMost(WAIT).until(() -> ids(receiver.received()).containsAll(events));
            assertThat(receiver.received()).hasSize(events.size());
            assertThat(events).allSatisfy(id -> assertThat(service.eventStatus(id)).isEqualTo("delivered"));
        }
    }

    @Test
    void failedDeliveriesAreRetriedToTheDeadLettersAndReplayedFromThere() throws Exception {
        AtomicBoolean up = new AtomicBoolean(false);
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> up.get() ? 200 : 500)) {
            String key = service.newOrganizationKey("cluster-dead");
            service.newEndpoint(key, receiver.url("/failing"));
            String eventId = service.ingest(key);

            await().atMost(WAIT).until(() -> "dead".equals(service.eventStatus(eventId)));
            // The first attempt and the schedule's two retries, no more.
            assertThat(receiver.received()).hasSize(3).extracting(r -> r.header("webhook-id")).containsOnly(eventId);
            JsonNode deadLetters = service.call("GET", "/v1/dead-letters", key, null).body().get("events");
            assertThat(deadLetters).extracting(event -> event.get("event_id").stringValue()).containsExactly(eventId);

            up.set(true);
            ApiClient.Response replay = service.call("POST", "/v1/dead-letters/replay", key, "{\"event_ids\":[\"" + eventId + "\"]}");
            assertThat(replay.status()).as(replay.body().toString()).isEqualTo(202);
            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)));
            assertThat(receiver.received()).hasSize(4);
        }
    }

    @Test
    void whatTheClusterLostIsQueuedAgainByTheReconciler() throws Exception {
        AtomicBoolean up = new AtomicBoolean(false);
        // A service of its own: a retry schedule long enough that the delivery is still owed when the keys go.
        try (RunningService own = RunningService.with(Map.of(
                        "triggers.delivery.retry-schedule", "300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms",
                        "triggers.delivery.circuit-open-for", "200ms",
                        "triggers.reconciler.every", "200ms",
                        "triggers.reconciler.grace", "500ms",
                        "triggers.worker.heartbeat-every", "50ms"))
                .onCluster(cluster)
                .start();
             WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> up.get() ? 200 : 503)) {
            String key = own.newOrganizationKey("cluster-lost");
            own.newEndpoint(key, receiver.url("/lost"));
            String eventId = own.ingest(key);
            await().atMost(WAIT).until(() -> !receiver.received().isEmpty());
            // Every key of the service, on every master, gone: as after nodes restarted without persistence.
            long deleted = cluster.deleteKeys(own.redisPrefix + ":*");
            assertThat(deleted).as("keys of the service deleted from the cluster").isPositive();
            up.set(true);

            await().atMost(WAIT).until(() -> "delivered".equals(own.eventStatus(eventId)));
            assertThat(ids(receiver.received())).containsExactly(eventId);
        }
    }

    private static Set<String> ids(List<Received> requests) {
        return requests.stream().map(r -> r.header("webhook-id")).collect(Collectors.toSet());
    }
}
