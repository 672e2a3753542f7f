package io.triggers.api.events;

import io.triggers.shared.config.RedisKeysProperties;
import io.triggers.shared.stream.StreamEntry;
import io.triggers.shared.logging.ThrottledLog;
import io.triggers.shared.stream.StreamKeys;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.connection.stream.StreamRecords;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Puts committed events on the delivery stream. A failed XADD does not fail the request: the
 * event is already committed, and PostgreSQL, not the stream, is the record of what must be
 * delivered.
 */
@Component
public final class EventQueue {

    private static final Logger log = LoggerFactory.getLogger(EventQueue.class);
    private static final ThrottledLog NOT_QUEUED = new ThrottledLog(log, Duration.ofSeconds(10));

    private final ReactiveStringRedisTemplate redis;
    private final StreamKeys keys;

    public EventQueue(ReactiveStringRedisTemplate redis, RedisKeysProperties redisKeys) {
        this.redis = redis;
        this.keys = redisKeys.streamKeys();
    }

    /**
     * XADDs the entries, all sent without waiting for each other's replies (Lettuce pipelines them
     * on its shared connection); completes empty whether or not Redis took them.
     */
    public Mono<Void> enqueueAll(List<StreamEntry> entries) {
        return Flux.fromIterable(entries)
                .flatMap(entry -> redis.opsForStream()
                        .add(StreamRecords.newRecord().in(keys.events()).ofMap(entry.toFields()))
                        .doOnError(e -> NOT_QUEUED.warn("event {} committed but not queued (Redis: {}); it waits for re-enqueueing",
                                entry.eventId(), e.toString()))
                        .onErrorResume(e -> Mono.empty()), entries.size() + 1)
                .then();
    }
}
