package io.triggers.worker.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.triggers.shared.queue.QueueEntry;
import io.triggers.shared.queue.QueueKeys;
import io.triggers.shared.queue.ShardLayouts;
import io.triggers.testing.TestServers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.boot.data.redis.autoconfigure.DataRedisProperties;

/** The queue's scripts against the machine's Redis: fairness, retries due on time, leases, rate, pause. */
class DeliveryQueueTest {

    private static final Duration LEASE = Duration.ofSeconds(10);
    private static ClientResources resources;
    private static RedisConnections redis;

    @BeforeAll
    static void connect() {
        resources = DefaultClientResources.create();
        var uri = TestServers.get().redisUri();
        DataRedisConnectionDetails details = new DataRedisConnectionDetails() {
            @Override
            public Standalone getStandalone() {
                return Standalone.of(uri.getHost(), uri.getPort());
            }
        };
        redis = new RedisConnections(details, new DataRedisProperties(), resources, Duration.ofSeconds(5));
    }

    @AfterAll
    static void close() {
        redis.close();
        resources.shutdown();
    }

    /** One shard, so every organization competes in it. */
    private static DeliveryQueue queue() {
        return new DeliveryQueue(redis, new QueueKeys(TestServers.get().newRedisPrefix(), 1), new ShardLayouts(1, Duration.ofMinutes(1)));
    }

    private static List<QueueEntry> enqueue(DeliveryQueue queue, UUID organization, UUID endpoint, int count, Integer rate) {
        List<QueueEntry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            entries.add(new QueueEntry(UUID.randomUUID(), endpoint, organization, "r", null, rate, 16));
        }
        assertThat(queue.enqueue(entries).block()).isEqualTo((long) count);
        return entries;
    }

    private static List<Picked> pick(DeliveryQueue queue, int count) {
        return queue.pick(0, count, LEASE, Map.of()).picked();
    }

    @Test
    void organizationsTakeTurnsWhateverTheirBacklog() {
        DeliveryQueue queue = queue();
        UUID noisy = UUID.randomUUID();
        UUID quiet = UUID.randomUUID();
        enqueue(queue, noisy, UUID.randomUUID(), 500, null);
        enqueue(queue, quiet, UUID.randomUUID(), 3, null);
        List<Picked> first = pick(queue, 6);
        assertThat(first).filteredOn(p -> p.organizationId().equals(quiet)).hasSize(3);
        assertThat(first).filteredOn(p -> p.organizationId().equals(noisy)).hasSize(3);
        // Queueing the same delivery again changes nothing; in one call with a new one, only that one is queued.
        QueueEntry again = new QueueEntry(first.get(0).eventId(), first.get(0).endpointId(), first.get(0).organizationId(), "r", null, null, 16);
        assertThat(queue.enqueue(List.of(again)).block()).isZero();
        QueueEntry fresh = new QueueEntry(UUID.randomUUID(), UUID.randomUUID(), quiet, "r", null, null, 16);
        assertThat(queue.enqueue(List.of(again, fresh, fresh)).block()).isEqualTo(1L);
        assertThat(pick(queue, 1000)).extracting(Picked::eventId).contains(fresh.eventId()).doesNotContain(again.eventId());
    }

    @Test
    void aRetryIsHandedOutWhenDueBesideAThousandWaitingOnesOfAnotherOrganization() {
        DeliveryQueue queue = queue();
        UUID noisy = UUID.randomUUID();
        UUID quiet = UUID.randomUUID();
        enqueue(queue, noisy, UUID.randomUUID(), 1000, null);
        enqueue(queue, quiet, UUID.randomUUID(), 1, null);
        long later = System.currentTimeMillis() + 3_600_000;
        Picked quietOne = null;
        for (int round = 0; round < 200; round++) {
            List<Picked> picked = queue.pick(0, 16, LEASE, Map.of()).picked();
            if (picked.isEmpty()) {
                break;
            }
            for (Picked p : picked) {
                if (p.organizationId().equals(quiet)) {
                    quietOne = p;
                    assertThat(queue.retryAt(p, System.currentTimeMillis() + 300, 0).block()).isTrue();
                } else {
                    assertThat(queue.retryAt(p, later, 0).block()).isTrue();
                }
            }
        }
        assertThat(quietOne).isNotNull();
        List<Picked> retried = new ArrayList<>();
        // Due 300 ms after it failed: handed out within 2 s more, ahead of the thousand waiting an hour.
        await().atMost(Duration.ofMillis(2300)).pollInterval(Duration.ofMillis(20))
                .until(() -> retried.addAll(pick(queue, 16)));
        assertThat(retried).extracting(Picked::eventId).containsExactly(quietOne.eventId());
        assertThat(retried.get(0).entryId()).isEqualTo(quietOne.entryId());
    }

    @Test
    void aDeliveryWhoseLeaseRanOutIsHandedOutAgainAndAnAcknowledgedOneNever() {
        DeliveryQueue queue = queue();
        UUID organization = UUID.randomUUID();
        UUID endpoint = UUID.randomUUID();
        enqueue(queue, organization, endpoint, 2, null);
        List<Picked> picked = queue.pick(0, 2, Duration.ofMillis(200), Map.of()).picked();
        assertThat(picked).hasSize(2);
        assertThat(queue.acknowledge(picked.get(0), 0).block()).isTrue();
        assertThat(pick(queue, 2)).isEmpty();
        // Its 200 ms lease runs out with nobody renewing it: handed out again.
        List<Picked> again = new ArrayList<>();
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20)).until(() -> again.addAll(pick(queue, 2)));
        assertThat(again).extracting(Picked::entryId).containsExactly(picked.get(1).entryId());
        // The first holder's late renewal does not bring back a lease it settled.
        assertThat(queue.renew(0, List.of(picked.get(0)), System.currentTimeMillis() + 10_000).block()).isZero();
        assertThat(queue.acknowledge(again.get(0), 0).block()).isTrue();
        assertThat(queue.stats().block().inFlight()).isZero();
        assertThat(queue.stats().block().queued()).isZero();
    }

    @Test
    void anEndpointOverItsRateOrPausedIsSkippedWithoutHoldingOthersBack() {
        DeliveryQueue queue = queue();
        UUID organization = UUID.randomUUID();
        UUID limited = UUID.randomUUID();
        UUID paused = UUID.randomUUID();
        UUID free = UUID.randomUUID();
        enqueue(queue, organization, limited, 10, 2);
        enqueue(queue, organization, paused, 10, null);
        enqueue(queue, organization, free, 10, null);
        List<Picked> first = pick(queue, 3);
        Picked pausedOne = first.stream().filter(p -> p.endpointId().equals(paused)).findFirst().orElseThrow();
        assertThat(queue.retryAt(pausedOne, System.currentTimeMillis() + 60_000, System.currentTimeMillis() + 60_000).block()).isTrue();
        List<Picked> next = pick(queue, 20);
        assertThat(next).extracting(Picked::endpointId).doesNotContain(limited, paused).contains(free);
        Map<UUID, Integer> busy = new HashMap<>();
        busy.put(free, 16);
        assertThat(queue.pick(0, 5, LEASE, busy).picked()).isEmpty();
        assertThat(queue.stats().block().endpointsPaused()).isEqualTo(1);
        assertThat(queue.stats().block().endpointsThrottled()).isEqualTo(1);
    }
}
