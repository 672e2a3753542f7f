package io.triggers.shared.config;

import io.triggers.shared.queue.QueueKeys;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.redis.*}: where in Redis the service keeps its keys.
 *
 * @param keyPrefix prefix of every key ({@code TRIGGERS_REDIS_KEY_PREFIX}, default {@code triggers})
 * @param shards    how many shards organizations are spread over ({@code TRIGGERS_REDIS_SHARDS}, default 16);
 *                  each is one Redis Cluster slot, so more shards spread the queue over more nodes. The api and
 *                  every worker must agree, and it must not change while anything is queued.
 */
@ConfigurationProperties("triggers.redis")
public record RedisKeysProperties(@DefaultValue("triggers") String keyPrefix, @DefaultValue("16") int shards) {

    /** The queue's key names under this prefix. */
    public QueueKeys queueKeys() {
        return new QueueKeys(keyPrefix, shards);
    }
}
