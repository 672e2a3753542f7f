package io.triggers.worker.delivery;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.ClientResources;
import io.triggers.shared.config.RedisKeysProperties;
import java.time.Duration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.boot.data.redis.autoconfigure.DataRedisProperties;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A native Lettuce client for the stream, built from the same {@code spring.data.redis.*}
 * settings as Spring's own connection factory. While Redis is unreachable, commands fail at once
 * instead of queueing (the callers retry with backoff), and no command waits longer than
 * {@code spring.data.redis.timeout} (or the read block plus a second, if that is longer).
 */
@Configuration(proxyBeanMethods = false)
class RedisConfiguration {

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);

    @Bean
    LettuceClientOptionsBuilderCustomizer failWhileDisconnected() {
        return options -> options.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
    }

    @Bean(destroyMethod = "shutdown")
    RedisClient streamRedisClient(DataRedisConnectionDetails details, DataRedisProperties redis, ClientResources resources,
                                  WorkerProperties worker) {
        DataRedisConnectionDetails.Standalone standalone = details.getStandalone();
        Duration timeout = redis.getTimeout() != null ? redis.getTimeout() : DEFAULT_TIMEOUT;
        Duration readTimeout = worker.readBlock().plusSeconds(1);
        if (readTimeout.compareTo(timeout) > 0) {
            timeout = readTimeout;
        }
        RedisURI.Builder uri = RedisURI.builder()
                .withHost(standalone.getHost())
                .withPort(standalone.getPort())
                .withDatabase(standalone.getDatabase())
                .withSsl(details.getSslBundle() != null)
                .withTimeout(timeout);
        if (details.getPassword() != null) {
            if (details.getUsername() != null) {
                uri.withAuthentication(details.getUsername(), details.getPassword());
            } else {
                uri.withPassword(details.getPassword().toCharArray());
            }
        }
        RedisClient client = RedisClient.create(resources, uri.build());
        client.setOptions(ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(redis.getConnectTimeout() != null ? redis.getConnectTimeout() : DEFAULT_CONNECT_TIMEOUT)
                        .keepAlive(true)
                        .build())
                .build());
        return client;
    }

    @Bean(destroyMethod = "close")
    DeliveryStream deliveryStream(RedisClient streamRedisClient, RedisKeysProperties redisKeys, WorkerProperties worker) {
        return new DeliveryStream(streamRedisClient, redisKeys, worker.redisStartupWait());
    }
}
