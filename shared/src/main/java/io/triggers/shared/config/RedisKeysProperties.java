package io.triggers.shared.config;

import io.triggers.shared.stream.StreamKeys;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.redis.*}: where in Redis the service keeps its keys.
 *
 * @param keyPrefix prefix of every key ({@code TRIGGERS_REDIS_KEY_PREFIX}, default {@code triggers})
 */
@ConfigurationProperties("triggers.redis")
public record RedisKeysProperties(@DefaultValue("triggers") String keyPrefix) {

    /** The stream and key names under this prefix. */
    public StreamKeys streamKeys() {
        return new StreamKeys(keyPrefix);
    }
}
