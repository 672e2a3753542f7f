package io.triggers.worker.queue;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.XAddArgs;
import io.triggers.shared.queue.QueueEntry;
import io.triggers.shared.queue.QueueKeys;
import io.triggers.shared.queue.QueueScripts;
import io.triggers.shared.queue.ShardLayouts;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The worker's side of the queue: every call is one of the queue's Lua scripts (see
 * {@link QueueKeys} for the layout and the scripts for what each does), on one shard's keys.
 * Scripts are called by their SHA1 and sent whole only when Redis does not know them (after a
 * restart). Whatever goes over every shard goes over those of every shard layout known (see
 * {@link ShardLayouts}).
 */
public final class DeliveryQueue {

    private static final long DEAD_STREAM_MAX_LENGTH = 100_000;

    /** What one pick returned. */
    public record PickResult(List<Picked> picked, long nextTimerMillis, boolean readyLeft) {
    }

    /** What a shard holds, by state (see stats.lua). */
    public record Stats(long queued, long due, long waiting, long inFlight, long endpointsReady, long endpointsThrottled,
                        long endpointsPaused, long endpointsWaiting) {

        Stats plus(Stats other) {
            return new Stats(queued + other.queued, due + other.due, waiting + other.waiting, inFlight + other.inFlight,
                    endpointsReady + other.endpointsReady, endpointsThrottled + other.endpointsThrottled,
                    endpointsPaused + other.endpointsPaused, endpointsWaiting + other.endpointsWaiting);
        }
    }

    private final RedisConnections redis;
    private final QueueKeys keys;
    private final ShardLayouts layouts;
    private final Map<QueueScripts, String> shas = new EnumMap<>(QueueScripts.class);

    public DeliveryQueue(RedisConnections redis, QueueKeys keys, ShardLayouts layouts) {
        if (layouts.own() != keys.shards()) {
            throw new IllegalArgumentException("the shard layouts are not those of the queue's keys");
        }
        this.redis = redis;
        this.keys = keys;
        this.layouts = layouts;
        for (QueueScripts script : QueueScripts.values()) {
            shas.put(script, sha1(script.source()));
        }
    }

    public QueueKeys keys() {
        return keys;
    }

    /** The shard layouts in use (how many shards to look at). */
    public ShardLayouts layouts() {
        return layouts;
    }

    /**
     * Hands out up to {@code count} deliveries of a shard, fairly, leased until now + {@code lease}.
     * Blocking: call it from the dispatcher's own thread only.
     *
     * @param busy for the endpoints this replica is delivering to now, how many deliveries are in flight
     */
    public PickResult pick(int shard, int count, Duration lease, Map<UUID, Integer> busy) {
        List<String> args = new ArrayList<>(4 + busy.size() * 2);
        args.add(keys.base(shard));
        args.add(Long.toString(System.currentTimeMillis()));
        args.add(Integer.toString(count));
        args.add(Long.toString(lease.toMillis()));
        busy.forEach((endpoint, n) -> {
            args.add(endpoint.toString());
            args.add(Integer.toString(n));
        });
        List<Object> reply = evalSync(QueueScripts.PICK, shard, args.toArray(String[]::new));
        List<Picked> picked = new ArrayList<>((reply.size() - 2) / 6);
        for (int i = 2; i + 5 < reply.size(); i += 6) {
            picked.add(new Picked(shard, UUID.fromString(text(reply.get(i))), text(reply.get(i + 1)), UUID.fromString(text(reply.get(i + 2))),
                    text(reply.get(i + 3)), text(reply.get(i + 4)), UUID.fromString(text(reply.get(i + 5)))));
        }
        return new PickResult(picked, ((Number) reply.get(0)).longValue(), ((Number) reply.get(1)).longValue() == 1);
    }

    /** Acknowledges a delivery: nothing more is owed of it. Emits whether this replica still held its lease. */
    public Mono<Boolean> acknowledge(Picked delivery, long pauseUntilMillis) {
        return settle(delivery, "ack", 0, pauseUntilMillis);
    }

    /** Leaves a delivery pending, due again at {@code dueMillis}; optionally pauses its whole endpoint. */
    public Mono<Boolean> retryAt(Picked delivery, long dueMillis, long pauseUntilMillis) {
        return settle(delivery, "retry", dueMillis, pauseUntilMillis);
    }

    private Mono<Boolean> settle(Picked delivery, String action, long at, long pauseUntil) {
        return eval(QueueScripts.SETTLE, delivery.shard(), keys.base(delivery.shard()), delivery.endpointId().toString(),
                delivery.entryId(), delivery.eventId().toString(), action, Long.toString(at), Long.toString(pauseUntil))
                .map(reply -> ((Number) reply).longValue() == 1);
    }

    /** Extends the leases of deliveries of one shard until {@code untilMillis}; emits how many were still held. */
    public Mono<Long> renew(int shard, List<Picked> deliveries, long untilMillis) {
        List<String> args = new ArrayList<>(2 + deliveries.size() * 2);
        args.add(keys.base(shard));
        args.add(Long.toString(untilMillis));
        for (Picked delivery : deliveries) {
            args.add(delivery.endpointId().toString());
            args.add(delivery.entryId());
        }
        return eval(QueueScripts.RENEW, shard, args.toArray(String[]::new)).map(reply -> ((Number) reply).longValue());
    }

    /**
     * Queues the deliveries that are not queued already (one call per shard); emits how many it
     * queued. While another shard layout is known, those queued in the organization's shard of that
     * layout are left alone too.
     */
    public Mono<Long> enqueue(List<QueueEntry> entries) {
        return queuedElsewhere(entries)
                .flatMapMany(queued -> Flux.fromIterable(QueueEntry.byShard(keys, ShardLayouts.without(entries, queued))))
                .concatMap(batch -> eval(QueueScripts.ENQUEUE, batch.shard(), batch.enqueueArguments(keys)))
                .reduce(0L, (sum, reply) -> sum + ((Number) reply).longValue());
    }

    /** The deliveries that are queued in a shard of another layout (none while one layout is in use). */
    private Mono<Set<QueueEntry>> queuedElsewhere(List<QueueEntry> entries) {
        Map<Integer, List<QueueEntry>> elsewhere = layouts.elsewhere(entries);
        Set<QueueEntry> queued = new HashSet<>();
        return Flux.fromIterable(elsewhere.entrySet())
                .concatMap(shard -> eval(QueueScripts.PRESENT, shard.getKey(),
                                ShardLayouts.presentArguments(keys, shard.getKey(), shard.getValue()).toArray(String[]::new))
                        .doOnNext(reply -> ShardLayouts.collectPresent(shard.getValue(), text(reply), queued)))
                .then(Mono.fromSupplier(() -> queued));
    }

    /** Announces this replica's shard layout and takes in every layout announced. */
    public Mono<Void> announceLayout() {
        return redis.reactive().hset(keys.layouts(), layouts.ownField(), Long.toString(System.currentTimeMillis()))
                .then(redis.reactive().hgetall(keys.layouts()).collectMap(kv -> kv.getKey(), kv -> kv.getValue()))
                .doOnNext(layouts::update)
                .then();
    }

    /** Forgets shard layouts that are no longer in use and whose shards have drained. */
    public Mono<Long> forgetLayouts(List<Integer> shardCounts) {
        return redis.reactive().hdel(keys.layouts(), shardCounts.stream().map(String::valueOf).toArray(String[]::new));
    }

    /** The organizations with anything queued in a shard. */
    public Flux<UUID> organizationsIn(int shard) {
        return eval(QueueScripts.ORGANIZATIONS, shard, keys.base(shard))
                .flatMapIterable(reply -> text(reply).isEmpty() ? List.<String>of() : List.of(text(reply).split(",")))
                .map(UUID::fromString);
    }

    /** What every shard holds, added up. */
    public Mono<Stats> stats() {
        String now = Long.toString(System.currentTimeMillis());
        return Flux.range(0, layouts.consumed())
                .concatMap(shard -> eval(QueueScripts.STATS, shard, keys.base(shard), now))
                .map(reply -> {
                    List<?> values = (List<?>) reply;
                    long[] n = new long[8];
                    for (int i = 0; i < n.length; i++) {
                        n[i] = ((Number) values.get(i)).longValue();
                    }
                    return new Stats(n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]);
                })
                .reduce(new Stats(0, 0, 0, 0, 0, 0, 0, 0), Stats::plus);
    }

    /** Copies a dead delivery to the dead-letter stream (capped at about 100 000 entries). */
    public Mono<String> deadLetter(Map<String, String> fields) {
        return redis.reactive().xadd(keys.dead(), XAddArgs.Builder.maxlen(DEAD_STREAM_MAX_LENGTH).approximateTrimming(), fields);
    }

    /** Dead-letter stream length (for the metrics). */
    public Mono<Long> deadLetters() {
        return redis.reactive().xlen(keys.dead());
    }

    /** Takes the named lock for {@code ttl} if nobody holds it (SET NX PX); emits whether it was taken. */
    public Mono<Boolean> tryLock(String name, Duration ttl) {
        return redis.reactive().set(keys.lock(name), "held", SetArgs.Builder.nx().px(ttl.toMillis()))
                .map("OK"::equals)
                .defaultIfEmpty(false);
    }

    /** Whether every shard still has its marker (see {@link QueueKeys#intact}): false when any lost its keys. */
    public Mono<Boolean> intact() {
        return Flux.range(0, layouts.consumed())
                .concatMap(shard -> redis.reactive().exists(keys.intact(shard)))
                .all(exists -> exists == 1);
    }

    /** Sets every shard's marker. */
    public Mono<Void> markIntact(String walk) {
        return Flux.range(0, layouts.consumed())
                .concatMap(shard -> redis.reactive().set(keys.intact(shard), walk))
                .then();
    }

    /** Deletes the first version's single stream: what it held is still owed in PostgreSQL, and the reconciler queues it. */
    public Mono<Long> deleteLegacyStream() {
        return redis.reactive().del(keys.legacyEvents());
    }

    private Mono<Object> eval(QueueScripts script, int shard, String... args) {
        String[] key = {keys.ready(shard)};
        return redis.reactive().<Object>evalsha(shas.get(script), outputType(script), key, args)
                .onErrorResume(RedisNoScriptException.class,
                        e -> redis.reactive().<Object>eval(script.source(), outputType(script), key, args))
                .single();
    }

    private List<Object> evalSync(QueueScripts script, int shard, String... args) {
        String[] key = {keys.ready(shard)};
        try {
            return redis.sync().evalsha(shas.get(script), ScriptOutputType.MULTI, key, args);
        } catch (RedisNoScriptException e) {
            return redis.sync().eval(script.source(), ScriptOutputType.MULTI, key, args);
        }
    }

    private static ScriptOutputType outputType(QueueScripts script) {
        return switch (script) {
            case STATS, PICK -> ScriptOutputType.MULTI;
            case PRESENT, ORGANIZATIONS -> ScriptOutputType.VALUE;
            default -> ScriptOutputType.INTEGER;
        };
    }

    private static String text(Object value) {
        return value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
    }

    private static String sha1(String source) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
