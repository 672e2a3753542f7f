package io.triggers.worker.queue;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.resource.ClientResources;
import io.triggers.shared.config.RedisKeysProperties;
import io.triggers.worker.WorkerProperties;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.boot.data.redis.autoconfigure.DataRedisProperties;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The queue's Redis connections (standalone or cluster) and the queue on them. */
@Configuration(proxyBeanMethods = false)
class QueueConfiguration {

    /** Spring's own connections (health) also fail at once while Redis is unreachable. */
    @Bean
    LettuceClientOptionsBuilderCustomizer failWhileDisconnected() {
        return options -> options.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
    }

    @Bean(destroyMethod = "close")
    RedisConnections queueRedis(DataRedisConnectionDetails details, DataRedisProperties redis, ClientResources resources,
                                WorkerProperties worker) {
        return new RedisConnections(details, redis, resources, worker.redisStartupWait());
    }

    @Bean
    DeliveryQueue deliveryQueue(RedisConnections queueRedis, RedisKeysProperties redisKeys) {
        return new DeliveryQueue(queueRedis, redisKeys.queueKeys(), redisKeys.newShardLayouts());
    }
}
