package io.triggers.shared.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ShardLayoutsTest {

    private static final long NOW = 1_000_000;

    /** An organization whose shard differs between 4 and 16 shards. */
    private static UUID movingOrganization() {
        return IntStream.range(0, 1000).mapToObj(i -> UUID.randomUUID())
                .filter(org -> QueueKeys.shardOf(org, 4) != QueueKeys.shardOf(org, 16))
                .findFirst().orElseThrow();
    }

    @Test
    void aloneItLooksAtItsOwnShardsAndAsksNowhereElse() {
        ShardLayouts layouts = new ShardLayouts(16, Duration.ofMinutes(1));
        layouts.update(Map.of("16", Long.toString(NOW)));
        QueueEntry entry = new QueueEntry(UUID.randomUUID(), UUID.randomUUID(), movingOrganization(), null, null, null, 10);

        assertThat(layouts.consumed()).isEqualTo(16);
        assertThat(layouts.changing()).isFalse();
        assertThat(layouts.elsewhere(List.of(entry))).isEmpty();
        assertThat(layouts.shardsOf(entry.organizationId())).containsExactly(QueueKeys.shardOf(entry.organizationId(), 16));
    }

    @Test
    void whileTheCountChangesItLooksAtTheLargestAndAsksTheOtherLayoutsShard() {
        ShardLayouts layouts = new ShardLayouts(4, Duration.ofMinutes(1));
        layouts.update(Map.of("4", Long.toString(NOW), "16", Long.toString(NOW), "not-a-layout", "x", "0", "1", "99999", "1"));
        UUID organization = movingOrganization();
        QueueEntry entry = new QueueEntry(UUID.randomUUID(), UUID.randomUUID(), organization, null, null, null, 10);

        assertThat(layouts.consumed()).isEqualTo(16);
        assertThat(layouts.changing()).isTrue();
        assertThat(layouts.elsewhere(List.of(entry))).containsOnlyKeys(QueueKeys.shardOf(organization, 16));
        assertThat(layouts.shardsOf(organization)).containsExactly(QueueKeys.shardOf(organization, 4), QueueKeys.shardOf(organization, 16));
    }

    @Test
    void aLayoutNotAnnouncedForStaleAfterIsStaleAndNoLongerExplainsItsShards() {
        ShardLayouts layouts = new ShardLayouts(4, Duration.ofSeconds(60));
        UUID organization = movingOrganization();
        int oldShard = QueueKeys.shardOf(organization, 16);
        layouts.update(Map.of("4", Long.toString(NOW), "16", Long.toString(NOW - 59_000)));
        assertThat(layouts.stale(NOW)).isEmpty();
        assertThat(layouts.explains(oldShard, organization, NOW)).isTrue();

        layouts.update(Map.of("4", Long.toString(NOW), "16", Long.toString(NOW - 60_000)));
        assertThat(layouts.stale(NOW)).containsExactly(16);
        assertThat(layouts.explains(oldShard, organization, NOW)).isFalse();
        assertThat(layouts.explains(QueueKeys.shardOf(organization, 4), organization, NOW)).isTrue();
        assertThat(layouts.consumed()).as("a stale layout's shards are still drained").isEqualTo(16);
    }

    @Test
    void presentRepliesPickTheQueuedDeliveries() {
        UUID org = UUID.randomUUID();
        List<QueueEntry> asked = List.of(new QueueEntry(UUID.randomUUID(), UUID.randomUUID(), org, null, null, null, 1),
                new QueueEntry(UUID.randomUUID(), UUID.randomUUID(), org, null, null, null, 1),
                new QueueEntry(UUID.randomUUID(), UUID.randomUUID(), org, null, null, null, 1));
        Set<QueueEntry> queued = new java.util.HashSet<>();
        ShardLayouts.collectPresent(asked, "010", queued);

        assertThat(queued).containsExactly(asked.get(1));
        assertThat(ShardLayouts.without(asked, queued)).containsExactly(asked.get(0), asked.get(2));
        assertThat(ShardLayouts.presentArguments(new QueueKeys("t", 4), 2, asked.subList(0, 1)))
                .containsExactly("t:{t.2}:", asked.get(0).endpointId().toString(), asked.get(0).eventId().toString());
    }

    @Test
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> new ShardLayouts(0, Duration.ofMinutes(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ShardLayouts(4, Duration.ofMillis(500))).isInstanceOf(IllegalArgumentException.class);
    }
}
