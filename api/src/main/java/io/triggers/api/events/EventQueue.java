package io.triggers.api.events;

import io.triggers.shared.config.RedisKeysProperties;
import io.triggers.shared.logging.RequestContext;
import io.triggers.shared.logging.ThrottledLog;
import io.triggers.shared.queue.QueueEntry;
import io.triggers.shared.queue.QueueKeys;
import io.triggers.shared.queue.FixedScript;
import io.triggers.shared.queue.QueueScripts;
import io.triggers.shared.queue.ShardLayouts;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Queues committed deliveries (one entry per event and endpoint) in Redis, in the shard of their
 * organization, with the ENQUEUE script (which also wakes the workers). A failure does not fail
 * the request: the event is already committed, and PostgreSQL, not Redis, is the record of what
 * must be delivered (the worker's reconciler queues what Redis lost). While the shard count changes
 * (see {@link ShardLayouts}), deliveries queued again (replay) are first looked for in the
 * organization's shards of the other layouts, and endpoint limits are told to all of them.
 */
@Component
public final class EventQueue {

    private static final Logger log = LoggerFactory.getLogger(EventQueue.class);
    private static final ThrottledLog NOT_QUEUED = new ThrottledLog(log, Duration.ofSeconds(10));
    private static final RedisScript<Long> ENQUEUE = FixedScript.of(QueueScripts.ENQUEUE.source(), Long.class);
    private static final RedisScript<Long> DESCRIBE = FixedScript.of(QueueScripts.DESCRIBE.source(), Long.class);
    private static final RedisScript<String> PRESENT = FixedScript.of(QueueScripts.PRESENT.source(), String.class);

    private final ReactiveStringRedisTemplate redis;
    private final QueueKeys keys;
    private final EventRepository events;
    private final ShardLayouts layouts;

    public EventQueue(ReactiveStringRedisTemplate redis, RedisKeysProperties redisKeys, EventRepository events,
                      ShardLayoutAnnouncer layouts) {
        this.redis = redis;
        this.keys = redisKeys.queueKeys();
        this.events = events;
        this.layouts = layouts.layouts();
    }

    /**
     * Queues the deliveries: one ENQUEUE call per shard (and per {@link QueueEntry#MAX_PER_CALL}),
     * sent without waiting for each other's replies; completes empty whether or not Redis took them.
     */
    public Mono<Void> enqueueAll(List<QueueEntry> entries) {
        if (entries.isEmpty()) {
            return Mono.empty();
        }
        List<QueueEntry.ShardBatch> batches = QueueEntry.byShard(keys, entries);
        return Flux.fromIterable(batches)
                .flatMap(batch -> redis.execute(ENQUEUE, List.of(keys.ready(batch.shard())), Arrays.asList(batch.enqueueArguments(keys)))
                        .doOnError(e -> {
                            try (RequestContext.Scope logging = RequestContext.logging(batch.entries().get(0).requestId())) {
                                NOT_QUEUED.warn("{} deliveries committed but not queued (Redis: {}); the reconciler queues them",
                                        batch.entries().size(), e.toString());
                            }
                        })
                        .onErrorResume(e -> Mono.empty()), batches.size())
                .then();
    }

    /**
     * Queues every delivery still owed of the events (after a replay), tagged with {@code requestId}:
     * those queued already, in this layout's shard or another's, are left alone.
     */
    public Mono<Void> enqueueOwed(List<UUID> eventIds, String requestId) {
        return events.owed(eventIds, requestId)
                .flatMap(owed -> queuedElsewhere(owed).flatMap(queued -> enqueueAll(ShardLayouts.without(owed, queued))));
    }

    /** The deliveries queued in the organization's shard of another layout (none while one layout is in use). */
    private Mono<Set<QueueEntry>> queuedElsewhere(List<QueueEntry> entries) {
        Set<QueueEntry> queued = new HashSet<>();
        return Flux.fromIterable(layouts.elsewhere(entries).entrySet())
                .concatMap(shard -> redis.execute(PRESENT, List.of(keys.ready(shard.getKey())),
                                ShardLayouts.presentArguments(keys, shard.getKey(), shard.getValue()))
                        .doOnNext(reply -> ShardLayouts.collectPresent(shard.getValue(), reply, queued)))
                .then(Mono.fromSupplier(() -> queued));
    }

    /** Tells the queue an endpoint's limits at once (they also travel with every delivery queued), in each layout's shard. */
    public Mono<Void> describe(UUID organizationId, UUID endpointId, Integer rateLimitPerSecond, int maxInFlight) {
        return Flux.fromIterable(layouts.shardsOf(organizationId))
                .concatMap(shard -> redis.execute(DESCRIBE, List.of(keys.ready(shard)), List.of(keys.base(shard), organizationId.toString(),
                        endpointId.toString(), rateLimitPerSecond == null ? "" : rateLimitPerSecond.toString(),
                        Integer.toString(maxInFlight))))
                .then();
    }
}
