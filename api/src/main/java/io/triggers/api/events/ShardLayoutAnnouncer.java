package io.triggers.api.events;

import io.triggers.shared.config.RedisKeysProperties;
import io.triggers.shared.logging.ThrottledLog;
import io.triggers.shared.queue.QueueKeys;
import io.triggers.shared.queue.ShardLayouts;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Announces the api's shard layout (its {@code TRIGGERS_REDIS_SHARDS}) to the workers, at start
 * and every {@code layout-stale-after / 6}, and takes in the layouts the other replicas announce
 * (see {@link ShardLayouts}): so workers look at the shards the api queues in before their own
 * setting says so, and the api knows where a delivery it queues again may be queued already.
 */
@Component
public final class ShardLayoutAnnouncer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ShardLayoutAnnouncer.class);
    private static final ThrottledLog failures = new ThrottledLog(log, Duration.ofSeconds(10));

    private final ReactiveStringRedisTemplate redis;
    private final QueueKeys keys;
    private final ShardLayouts layouts;
    private volatile Disposable schedule;

    public ShardLayoutAnnouncer(ReactiveStringRedisTemplate redis, RedisKeysProperties redisKeys) {
        this.redis = redis;
        this.keys = redisKeys.queueKeys();
        this.layouts = redisKeys.newShardLayouts();
    }

    /** The layouts in use, as last announced. */
    public ShardLayouts layouts() {
        return layouts;
    }

    Mono<Void> announce() {
        return redis.opsForHash().put(keys.layouts(), layouts.ownField(), Long.toString(System.currentTimeMillis()))
                .then(redis.<String, String>opsForHash().entries(keys.layouts()).collectMap(entry -> entry.getKey(), entry -> entry.getValue()))
                .doOnNext(layouts::update)
                .then();
    }

    @Override
    public void start() {
        schedule = Flux.interval(Duration.ZERO, layouts.announceEvery())
                .onBackpressureDrop()
                .concatMap(tick -> announce().onErrorResume(e -> {
                    failures.warn("could not announce the shard layout, trying again: {}", e.toString());
                    return Mono.empty();
                }))
                .subscribe();
    }

    @Override
    public void stop() {
        Disposable running = schedule;
        schedule = null;
        if (running != null) {
            running.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        return schedule != null;
    }
}
