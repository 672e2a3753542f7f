package io.triggers.worker.delivery;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.ClientResources;
import io.triggers.shared.config.RedisKeysProperties;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A native Lettuce client for the stream, built from the same {@code spring.data.redis.*}
 * settings as Spring's own connection factory.
 */
@Configuration(proxyBeanMethods = false)
class RedisConfiguration {

    @Bean(destroyMethod = "shutdown")
    RedisClient streamRedisClient(DataRedisConnectionDetails details, ClientResources resources) {
        DataRedisConnectionDetails.Standalone standalone = details.getStandalone();
        RedisURI.Builder uri = RedisURI.builder()
                .withHost(standalone.getHost())
                .withPort(standalone.getPort())
                .withDatabase(standalone.getDatabase())
                .withSsl(details.getSslBundle() != null);
        if (details.getPassword() != null) {
            if (details.getUsername() != null) {
                uri.withAuthentication(details.getUsername(), details.getPassword());
            } else {
                uri.withPassword(details.getPassword().toCharArray());
            }
        }
        return RedisClient.create(resources, uri.build());
    }

    @Bean(destroyMethod = "close")
    DeliveryStream deliveryStream(RedisClient streamRedisClient, RedisKeysProperties redisKeys) {
        return new DeliveryStream(streamRedisClient, redisKeys);
    }
}
