package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.ReactiveRedisConnection;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * The api's Redis commands all go through one connection made at start-up: the template's factory
 * hands out that connection without Spring Data Redis's per-command lock (two requests contending
 * for it on the event loops once left later requests hanging), and the template's close after each
 * command leaves it open.
 */
class RedisConnectionTest {

    private static RunningApi api;

    @BeforeAll
    static void start() {
        api = RunningApi.start(Map.of());
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void everyCommandUsesTheConnectionMadeAtStartUp() {
        ReactiveStringRedisTemplate template = api.context.getBean(ReactiveStringRedisTemplate.class);
        ReactiveRedisConnectionFactory factory = template.getConnectionFactory();

        ReactiveRedisConnection first = factory.getReactiveConnection();
        first.closeLater().block(Duration.ofSeconds(5));
        first.close();
        ReactiveRedisConnection second = factory.getReactiveConnection();

        assertThat(second).isSameAs(first);
        assertThat(second.ping().block(Duration.ofSeconds(5))).isEqualTo("PONG");
    }

    @Test
    void concurrentCommandsOnTheEventLoopsAllComplete() {
        ReactiveStringRedisTemplate template = api.context.getBean(ReactiveStringRedisTemplate.class);
        String key = api.redisPrefix + "connection-test";

        List<Long> counts = Flux.range(0, 2_000)
                .parallel(8).runOn(Schedulers.parallel())
                .flatMap(i -> template.opsForValue().increment(key))
                .sequential().collectList()
                .block(Duration.ofSeconds(30));

        assertThat(counts).hasSize(2_000).doesNotHaveDuplicates().contains(2_000L);
        template.delete(key).block(Duration.ofSeconds(5));
    }
}
