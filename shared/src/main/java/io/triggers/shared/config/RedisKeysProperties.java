package io.triggers.shared.config;

import io.triggers.shared.queue.QueueKeys;
import io.triggers.shared.queue.ShardLayouts;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.redis.*}: where in Redis the service keeps its keys.
 *
 * @param keyPrefix prefix of every key ({@code TRIGGERS_REDIS_KEY_PREFIX}, default {@code triggers})
 * @param shards    how many shards organizations are spread over ({@code TRIGGERS_REDIS_SHARDS}, default 16);
 *                  each is one Redis Cluster slot, so more shards spread the queue over more nodes. It may
 *                  change at any time, replica by replica: see {@link ShardLayouts}
 * @param layoutStaleAfter how long after the last replica that used a shard count stopped announcing it that count
 *                  counts as no longer in use ({@code TRIGGERS_REDIS_LAYOUT_STALE_AFTER}, default 1m); its
 *                  shards are still drained, and it is forgotten once they are
 */
@ConfigurationProperties("triggers.redis")
public record RedisKeysProperties(@DefaultValue("triggers") String keyPrefix, @DefaultValue("16") int shards,
                                  @DefaultValue("1m") Duration layoutStaleAfter) {

    /** This replica's view of the shard layouts in use (one per application). */
    public ShardLayouts newShardLayouts() {
        return new ShardLayouts(shards, layoutStaleAfter);
    }

    /** The queue's key names under this prefix. */
    public QueueKeys queueKeys() {
        return new QueueKeys(keyPrefix, shards);
    }
}
