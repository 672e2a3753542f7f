package io.triggers.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.triggers.shared.ids.UuidV7;
import io.triggers.shared.queue.QueueEntry;
import io.triggers.shared.queue.QueueKeys;
import io.triggers.shared.time.Timestamps;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class IdsAndTimesTest {

    @Test
    void uuidV7CarriesItsMillisecondsAndVersion() {
        UUID id = UuidV7.at(1_795_316_991_483L);
        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(UuidV7.epochMillis(id)).isEqualTo(1_795_316_991_483L);
        assertThat(UuidV7.at(1_000L).compareTo(UuidV7.at(2_000L))).isNegative();
    }

    @Test
    void timestampsAlwaysShowMilliseconds() {
        assertThat(Timestamps.format(Instant.parse("2026-11-22T10:15:30Z"))).isEqualTo("2026-11-22T10:15:30.000Z");
        assertThat(Timestamps.format(Instant.parse("2026-11-22T10:15:30.123456Z"))).isEqualTo("2026-11-22T10:15:30.123Z");
        assertThat(Timestamps.now().getNano() % 1_000_000).isZero();
    }

    @Test
    void queueKeysOfOneShardShareAHashTagAndEveryOrganizationHasAShard() {
        QueueKeys keys = new QueueKeys("t", 16);
        UUID endpoint = UUID.randomUUID();
        assertThat(keys.ready(3)).isEqualTo("t:{t.3}:ready");
        assertThat(keys.stream(3, endpoint)).isEqualTo("t:{t.3}:s:" + endpoint);
        for (int i = 0; i < 1000; i++) {
            assertThat(keys.shardOf(UUID.randomUUID())).isBetween(0, 15);
        }
        QueueEntry entry = new QueueEntry(UuidV7.next(), endpoint, UUID.randomUUID(), null, null, null, 16);
        QueueEntry.ShardBatch batch = QueueEntry.byShard(keys, List.of(entry)).get(0);
        assertThat(batch.shard()).isEqualTo(keys.shardOf(entry.organizationId()));
        assertThat(batch.enqueueArguments(keys)).containsExactly(keys.base(batch.shard()), keys.wake(), Integer.toString(batch.shard()),
                entry.organizationId().toString(), endpoint.toString(), entry.eventId().toString(), "", "", "", "16");
        assertThatThrownBy(() -> new QueueKeys("a{b}", 16)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new QueueKeys("t", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new QueueEntry(null, endpoint, UUID.randomUUID(), null, null, null, 16))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
