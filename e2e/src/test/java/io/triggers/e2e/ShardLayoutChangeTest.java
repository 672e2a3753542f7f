package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.api.events.ShardLayoutAnnouncer;
import io.triggers.shared.queue.QueueKeys;
import io.triggers.shared.queue.ShardLayouts;
import io.triggers.testing.TestQueue;
import io.triggers.testing.TestRedisCluster;
import io.triggers.testing.WebhookReceiver;
import io.triggers.worker.queue.DeliveryQueue;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Changing {@code TRIGGERS_REDIS_SHARDS} on a running service, replica by replica, with deliveries
 * waiting for their retries: new deliveries go to the new layout, what the old one queued is
 * delivered from where it is (on its own schedule, never queued a second time by the reconciler),
 * and the old layout is forgotten once it has drained; on one Redis and on a Redis Cluster.
 */
class ShardLayoutChangeTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int ORGANIZATIONS = 8;
    /** No reconciler run: what the old layout queued must be delivered from where it is. */
    private static final Map<String, String> NO_RECONCILER = Map.of("triggers.reconciler.every", "1h");

    /** An organization of the test: its key and id. */
    private record Organization(String key, UUID id) {
    }

    private static Map<String, String> settings(int shards, Map<String, String> more) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "triggers.redis.shards", Integer.toString(shards),
                "triggers.redis.layout-stale-after", "2s",
                "triggers.delivery.retry-schedule", String.join(",", Collections.nCopies(60, "1s")),
                "triggers.delivery.circuit-open-for", "200ms",
                "triggers.worker.heartbeat-every", "100ms"));
        settings.putAll(more);
        return settings;
    }

    @Test
    void growingTheShardCountLeavesWaitingRetriesWhereTheyAreAndQueuesNothingTwice() throws Exception {
        AtomicBoolean up = new AtomicBoolean(false);
        // The reconciler walks every owed delivery each second: without a look into the old layout's
        // shards, it would queue each waiting retry a second time, in its organization's new shard.
        Map<String, String> reconciling = Map.of("triggers.reconciler.every", "200ms", "triggers.reconciler.grace", "200ms",
                "triggers.reconciler.full-walk-every", "1s");
        try (RunningService service = RunningService.start(settings(2, reconciling));
             WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> up.get() ? 200 : 500)) {
            List<Organization> organizations = organizations(service, receiver);
            Map<String, Organization> waiting = ingest(service, organizations, 2);
            await().atMost(WAIT).until(() -> receiver.received().size() >= waiting.size());

            // The operator sets 8 shards: a rolling update of the api, then of the worker.
            service.replaceApi(Map.of("triggers.redis.shards", "8"));
            ConfigurableApplicationContext oldWorker = service.worker();
            ConfigurableApplicationContext newWorker = service.startWorker(settings(8, reconciling));
            service.stopWorker(oldWorker, null);
            ShardLayouts layouts = newWorker.getBean(DeliveryQueue.class).layouts();
            assertThat(layouts.consumed()).isEqualTo(8);

            // A replay through the new api of a delivery waiting in its old shard leaves it there, queued once.
            ShardLayouts apiLayouts = service.api().getBean(ShardLayoutAnnouncer.class).layouts();
            await().atMost(WAIT).until(apiLayouts::changing);
            Map.Entry<String, Organization> moved = waiting.entrySet().stream()
                    .filter(event -> QueueKeys.shardOf(event.getValue().id(), 2) != QueueKeys.shardOf(event.getValue().id(), 8))
                    .findFirst().orElseThrow(() -> new AssertionError("no organization changes shard from 2 to 8 shards"));
            assertThat(service.call("POST", "/v1/events/" + moved.getKey() + "/replay", moved.getValue().key(), null).status())
                    .isEqualTo(202);

            // The new worker's reconciler walks every owed delivery (shard 7 had no marker: a full walk), twice over.
            String marker = new QueueKeys(service.redisPrefix, 8).intact(7);
            await().atMost(WAIT).until(() -> service.redis().commands().get(marker) != null);
            String firstWalk = service.redis().commands().get(marker);
            await().atMost(WAIT).until(() -> !firstWalk.equals(service.redis().commands().get(marker)));

            // Each waiting delivery (the replayed one too) is queued once, still in its organization's shard of the old layout.
            waiting.forEach((eventId, organization) -> {
                List<TestQueue.Entry> entries = service.queue().entriesOf(eventId);
                assertThat(entries).as("queued entries of event %s", eventId).hasSize(1);
                assertThat(entries.get(0).base()).endsWith("." + QueueKeys.shardOf(organization.id(), 2) + "}:");
            });
            // New events go to the new layout.
            Map<String, Organization> fresh = ingest(service, organizations, 1);
            fresh.forEach((eventId, organization) -> await().atMost(WAIT).untilAsserted(() ->
                    assertThat(service.queue().entriesOf(eventId)).singleElement()
                            .extracting(TestQueue.Entry::base).asString().endsWith("." + QueueKeys.shardOf(organization.id(), 8) + "}:")));

            // Nobody announces 2 shards any more, but its shards hold deliveries: it is not forgotten.
            await().atMost(WAIT).until(() -> layouts.stale(System.currentTimeMillis()).contains(2));
            String lock = service.redisPrefix + ":lock:layouts";
            await().atMost(WAIT).until(() -> service.redis().commands().exists(lock) == 1); // a replica looked
            assertThat(registry(service)).containsKeys("2", "8");

            up.set(true);
            List<String> all = new ArrayList<>(waiting.keySet());
            all.addAll(fresh.keySet());
            await().atMost(WAIT).until(() -> all.stream().allMatch(id -> "delivered".equals(service.eventStatus(id))));
            assertThat(successfulAttempts(service)).hasSize(all.size()).allSatisfy((eventId, count) -> assertThat(count).isEqualTo(1));

            // Drained: the old layout is forgotten.
            await().atMost(WAIT).until(() -> registry(service).keySet().equals(java.util.Set.of("8")));
            await().atMost(WAIT).until(() -> layouts.consumed() == 8 && !layouts.changing());
        }
    }

    @Test
    void shrinkingTheShardCountDrainsTheShardsOnlyTheOldLayoutHad() throws Exception {
        shrinkFrom8To2(RunningService.with(settings(8, NO_RECONCILER)));
    }

    @Test
    void shrinkingOnARedisClusterDrainsLikewise() throws Exception {
        TestRedisCluster cluster = TestRedisCluster.get();
        cluster.awaitHealthy();
        shrinkFrom8To2(RunningService.with(settings(8, NO_RECONCILER)).onCluster(cluster));
    }

    private static void shrinkFrom8To2(RunningService.Builder builder) throws Exception {
        AtomicBoolean up = new AtomicBoolean(false);
        try (RunningService service = builder.start();
             WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> up.get() ? 200 : 500)) {
            List<Organization> organizations = organizations(service, receiver);
            Map<String, Organization> waiting = ingest(service, organizations, 2);
            await().atMost(WAIT).until(() -> receiver.received().size() >= waiting.size());
            assertThat(waiting.values()).as("some organization is in a shard the new layout does not have")
                    .anyMatch(organization -> QueueKeys.shardOf(organization.id(), 8) >= 2);

            service.replaceApi(Map.of("triggers.redis.shards", "2"));
            ConfigurableApplicationContext oldWorker = service.worker();
            ConfigurableApplicationContext newWorker = service.startWorker(settings(2, NO_RECONCILER));
            service.stopWorker(oldWorker, null);
            ShardLayouts layouts = newWorker.getBean(DeliveryQueue.class).layouts();
            Map<String, Organization> fresh = ingest(service, organizations, 1);
            await().atMost(WAIT).until(() -> layouts.stale(System.currentTimeMillis()).contains(8));
            assertThat(layouts.consumed()).as("shards looked at while 8 shards drain").isEqualTo(8);

            up.set(true);
            List<String> all = new ArrayList<>(waiting.keySet());
            all.addAll(fresh.keySet());
            await().atMost(WAIT).until(() -> all.stream().allMatch(id -> "delivered".equals(service.eventStatus(id))));
            assertThat(successfulAttempts(service)).hasSize(all.size()).allSatisfy((eventId, count) -> assertThat(count).isEqualTo(1));

            await().atMost(WAIT).until(() -> registry(service).keySet().equals(java.util.Set.of("2")));
            await().atMost(WAIT).until(() -> layouts.consumed() == 2);
        }
    }

    private static List<Organization> organizations(RunningService service, WebhookReceiver receiver) {
        List<Organization> organizations = new ArrayList<>();
        for (int i = 0; i < ORGANIZATIONS; i++) {
            String key = service.newOrganizationKey("layout-" + i);
            service.newEndpoint(key, receiver.url("/hook/" + i));
            UUID id = UUID.fromString(service.call("GET", "/v1/me", key, null).body().get("organization_id").stringValue());
            organizations.add(new Organization(key, id));
        }
        return organizations;
    }

    /** Ingests {@code each} events per organization; returns them by id. */
    private static Map<String, Organization> ingest(RunningService service, List<Organization> organizations, int each) {
        Map<String, Organization> events = new HashMap<>();
        for (Organization organization : organizations) {
            for (int i = 0; i < each; i++) {
                events.put(service.ingest(organization.key()), organization);
            }
        }
        return events;
    }

    private static Map<String, String> registry(RunningService service) {
        return service.hgetall(service.redisPrefix + ":layouts");
    }

    /** Per event, how many attempts the receiver answered with 200. */
    private static Map<String, Integer> successfulAttempts(RunningService service) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        try (Connection db = service.jdbc(); Statement query = db.createStatement();
             ResultSet rows = query.executeQuery("SELECT event_id, count(*) FROM delivery_attempts WHERE status_code = 200 GROUP BY event_id")) {
            while (rows.next()) {
                counts.put(rows.getString(1), rows.getInt(2));
            }
        }
        return counts;
    }
}
