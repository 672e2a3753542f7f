package io.triggers.worker.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.triggers.shared.config.RedisKeysProperties;
import io.triggers.shared.stream.StreamEntry;
import io.triggers.testing.TestServers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The reconciler's look-up against a real Redis stream. */
class DeliveryStreamTest {

    @Test
    void findsWhichEventsNoEntryCarriesAcrossPages() {
        TestServers servers = TestServers.get();
        RedisClient client = RedisClient.create(servers.redisUri());
        try (DeliveryStream stream = new DeliveryStream(client, new RedisKeysProperties(servers.newRedisPrefix()), Duration.ofSeconds(5))) {
            List<UUID> queued = new ArrayList<>();
            for (int i = 0; i < 2_500; i++) {
                UUID eventId = UUID.randomUUID();
                queued.add(eventId);
                stream.enqueue(new StreamEntry(eventId, UUID.randomUUID(), "request-" + i)).block(Duration.ofSeconds(5));
            }
            UUID missing = UUID.randomUUID();
            Set<String> wanted = new HashSet<>(Set.of(queued.get(0).toString(), queued.get(1_700).toString(),
                    queued.get(2_499).toString(), missing.toString()));

            assertThat(stream.notOnStream(wanted).block(Duration.ofSeconds(10))).containsExactly(missing.toString());
            assertThat(stream.notOnStream(new HashSet<>(Set.of(queued.get(3).toString()))).block(Duration.ofSeconds(10))).isEmpty();
            assertThat(stream.notOnStream(new HashSet<>()).block(Duration.ofSeconds(10))).isEmpty();
        } finally {
            client.shutdown();
        }
    }
}
