package io.triggers.shared.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.shared.ids.UuidV7;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class QueueEntryTest {

    private final QueueKeys keys = new QueueKeys("t", 16);

    @Test
    void deliveriesAreQueuedOneCallPerShardOfAtMostFiveHundredInTheirOrder() {
        UUID busy = UUID.randomUUID();
        UUID other = UUID.randomUUID();
        while (keys.shardOf(other) == keys.shardOf(busy)) {
            other = UUID.randomUUID();
        }
        UUID endpoint = UUID.randomUUID();
        List<QueueEntry> entries = new ArrayList<>();
        for (int i = 0; i < 1_201; i++) {
            entries.add(new QueueEntry(UuidV7.next(), endpoint, busy, "req", null, 5, 16));
        }
        String trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        QueueEntry lone = new QueueEntry(UuidV7.next(), UUID.randomUUID(), other, null, trace, null, 3);
        entries.add(600, lone);

        List<QueueEntry.ShardBatch> batches = QueueEntry.byShard(keys, entries);

        assertThat(batches).extracting(batch -> batch.entries().size()).containsExactly(500, 500, 201, 1);
        assertThat(batches).extracting(QueueEntry.ShardBatch::shard)
                .containsExactly(keys.shardOf(busy), keys.shardOf(busy), keys.shardOf(busy), keys.shardOf(other));
        assertThat(batches.subList(0, 3).stream().flatMap(batch -> batch.entries().stream()).toList())
                .isEqualTo(entries.stream().filter(entry -> entry != lone).toList());
        String[] args = batches.get(3).enqueueArguments(keys);
        assertThat(args).containsExactly(keys.base(keys.shardOf(other)), keys.wake(), Integer.toString(keys.shardOf(other)),
                other.toString(), lone.endpointId().toString(), lone.eventId().toString(), "", trace, "", "3");
        assertThat(batches.get(0).enqueueArguments(keys)).hasSize(3 + 500 * 7);
    }
}
