package io.triggers.worker.delivery;

import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XPendingArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XTrimArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.models.stream.PendingMessage;
import io.triggers.shared.config.RedisKeysProperties;
import io.triggers.shared.stream.StreamEntry;
import io.triggers.shared.stream.StreamKeys;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The worker's side of the events stream, on two long-lived Lettuce connections: one only for
 * the blocking XREADGROUP (a blocked connection cannot carry other commands, and Spring Data
 * Redis would open a new connection per blocking read), one for everything else.
 */
public final class DeliveryStream implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeliveryStream.class);
    private static final long DEAD_STREAM_MAX_LENGTH = 100_000;
    private static final int PAGE = 1000;

    /*
     * Resets the idle time of the entries this consumer still owns (XCLAIM JUSTID does not count a
     * delivery), and leaves alone any another replica has claimed meanwhile.
     */
    private static final String TOUCH = """
            local touched = 0
            for i, id in ipairs(ARGV) do
              if i > 2 then
                local pending = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
                if pending[1] and pending[1][2] == ARGV[2] then
                  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'JUSTID')
                  touched = touched + 1
                end
              end
            end
            return touched
            """;

    /*
     * After a round in which nothing was attempted (every delivery skipped: Retry-After not over,
     * circuit open, endpoint busy), puts the delivery count back, so skips use up no retry step.
     */
    private static final String REWIND = """
            local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
            if pending[1] and pending[1][2] == ARGV[2] then
              redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'RETRYCOUNT', ARGV[4], 'JUSTID')
              return 1
            end
            return 0
            """;

    private final StreamKeys keys;
    private final StatefulRedisConnection<String, String> reader;
    private final StatefulRedisConnection<String, String> commands;

    /**
     * Connects both connections, trying again every second for up to {@code startupWait} while
     * Redis is unreachable (blocking: call it at start-up, not on an event loop). Once connected,
     * Lettuce reconnects by itself whenever Redis goes away and comes back.
     */
    public DeliveryStream(RedisClient client, RedisKeysProperties redisKeys, Duration startupWait) {
        this.keys = redisKeys.streamKeys();
        this.reader = connect(client, startupWait);
        this.commands = connect(client, startupWait);
    }

    private static StatefulRedisConnection<String, String> connect(RedisClient client, Duration startupWait) {
        long giveUpAt = System.nanoTime() + startupWait.toNanos();
        while (true) {
            try {
                return client.connect(StringCodec.UTF8);
            } catch (RedisConnectionException e) {
                if (System.nanoTime() > giveUpAt) {
                    throw e;
                }
                log.warn("Redis is unreachable ({}); trying again", e.getMessage());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    public String key() {
        return keys.events();
    }

    /**
     * Creates the consumer group (and the stream) if missing. The group starts at the stream's
     * beginning, so events queued before any worker ever ran are delivered too.
     */
    public Mono<Void> ensureGroup() {
        return commands.reactive()
                .xgroupCreate(XReadArgs.StreamOffset.from(keys.events(), "0"), StreamKeys.DELIVERY_GROUP,
                        XGroupCreateArgs.Builder.mkstream())
                .doOnNext(ok -> log.info("created consumer group {} on {}", StreamKeys.DELIVERY_GROUP, keys.events()))
                .onErrorResume(e -> e.getMessage() != null && e.getMessage().startsWith("BUSYGROUP"), e -> Mono.empty())
                .then();
    }

    /** Up to {@code count} new entries for this consumer, waiting at most {@code block} for the first. */
    public Flux<StreamMessage<String, String>> read(String consumer, int count, Duration block) {
        return reader.reactive().xreadgroup(
                Consumer.from(StreamKeys.DELIVERY_GROUP, consumer),
                XReadArgs.Builder.count(count).block(block),
                XReadArgs.StreamOffset.lastConsumed(keys.events()));
    }

    /*
     * Every reply below is collected whole before it is looked at: cancelling a Lettuce Flux while
     * its reply is still being decoded (take, next) was seen to leave the shared connection waiting
     * for replies that had already arrived.
     */

    /** Pending entries (any consumer) idle at least {@code minIdle}, oldest first. */
    public Mono<List<PendingMessage>> pending(Duration minIdle, int count) {
        return commands.reactive().xpending(keys.events(),
                XPendingArgs.Builder.xpending(StreamKeys.DELIVERY_GROUP, Range.create("-", "+"), Limit.from(count)).idle(minIdle))
                .collectList();
    }

    /**
     * Takes an entry over if it is still idle at least {@code minIdle} (so two replicas cannot both
     * take it); counts as a delivery. Empty when another replica was faster or the entry is gone.
     */
    public Mono<StreamMessage<String, String>> claim(String consumer, String messageId, Duration minIdle) {
        return commands.reactive()
                .xclaim(keys.events(), Consumer.from(StreamKeys.DELIVERY_GROUP, consumer), XClaimArgs.Builder.minIdleTime(minIdle), messageId)
                .collectList()
                .flatMap(claimed -> claimed.isEmpty() ? Mono.empty() : Mono.just(claimed.get(0)));
    }

    /** Resets the idle time of entries this consumer is working on (see {@link #TOUCH}). */
    public Mono<Long> touch(String consumer, Collection<String> messageIds) {
        if (messageIds.isEmpty()) {
            return Mono.just(0L);
        }
        List<String> arguments = new ArrayList<>(messageIds.size() + 2);
        arguments.add(StreamKeys.DELIVERY_GROUP);
        arguments.add(consumer);
        arguments.addAll(messageIds);
        return commands.reactive()
                .<Long>eval(TOUCH, ScriptOutputType.INTEGER, new String[] {keys.events()}, arguments.toArray(String[]::new))
                .collectList()
                .map(replies -> replies.isEmpty() ? 0L : replies.get(0));
    }

    /** Resets an entry's idle time and sets its delivery count, if this consumer still owns it. */
    public Mono<Long> rewind(String consumer, String messageId, long deliveryCount) {
        return commands.reactive()
                .<Long>eval(REWIND, ScriptOutputType.INTEGER, new String[] {keys.events()},
                        StreamKeys.DELIVERY_GROUP, consumer, messageId, Long.toString(deliveryCount))
                .collectList()
                .map(replies -> replies.isEmpty() ? 0L : replies.get(0));
    }

    /**
     * Acknowledges an entry and deletes it from the stream: an acknowledged entry is never read
     * again, and deleting it at once keeps the stream to the entries still outstanding (trimming
     * by id alone would keep everything newer than the oldest entry waiting for a retry).
     */
    public Mono<Void> ack(String messageId) {
        return Mono.when(
                commands.reactive().xack(keys.events(), StreamKeys.DELIVERY_GROUP, messageId),
                commands.reactive().xdel(keys.events(), messageId));
    }

    /** Puts an entry on the stream. */
    public Mono<String> enqueue(StreamEntry entry) {
        return commands.reactive().xadd(keys.events(), entry.toFields());
    }

    /**
     * Which of {@code eventIds} no entry on the stream carries (acknowledged entries are deleted, so
     * the stream holds the outstanding ones). Reads from the oldest entry on, and stops as soon as
     * every event has been found. Consumes the set it is given.
     */
    public Mono<Set<String>> notOnStream(Set<String> eventIds) {
        return notOnStreamFrom("-", eventIds).thenReturn(eventIds);
    }

    private Mono<Void> notOnStreamFrom(String from, Set<String> eventIds) {
        if (eventIds.isEmpty()) {
            return Mono.empty();
        }
        return commands.reactive().xrange(keys.events(), Range.create(from, "+"), Limit.from(PAGE))
                .collectList()
                .flatMap(entries -> {
                    entries.forEach(entry -> eventIds.remove(entry.getBody().get("event_id")));
                    return entries.size() < PAGE ? Mono.empty() : notOnStreamFrom("(" + entries.get(entries.size() - 1).getId(), eventIds);
                });
    }

    /** Takes the named lock for {@code ttl} if nobody holds it (SET NX PX); emits whether it was taken. */
    public Mono<Boolean> tryLock(String name, Duration ttl) {
        return commands.reactive().set(keys.prefix() + ":" + name + ":lock", "held", SetArgs.Builder.nx().px(ttl.toMillis()))
                .map("OK"::equals)
                .defaultIfEmpty(false);
    }

    /** Copies a dead entry to the dead-letter stream (capped at about 100 000 entries). */
    public Mono<String> deadLetter(Map<String, String> fields) {
        return commands.reactive().xadd(keys.dead(), XAddArgs.Builder.maxlen(DEAD_STREAM_MAX_LENGTH).approximateTrimming(), fields);
    }

    /**
     * Trims acknowledged entries. Entries are read in id order, so every entry older than the
     * oldest pending one (and than the group's last-delivered id) has been acknowledged.
     */
    public Mono<Long> trimAcknowledged() {
        Mono<String> oldestPending = commands.reactive()
                .xpending(keys.events(), StreamKeys.DELIVERY_GROUP, Range.create("-", "+"), Limit.from(1))
                .collectList()
                .flatMap(pending -> pending.isEmpty() ? Mono.empty() : Mono.just(pending.get(0).getId()));
        Mono<String> lastDelivered = commands.reactive().xinfoGroups(keys.events())
                .collectList()
                .flatMap(groups -> Mono.justOrEmpty(groups.stream()
                        .map(group -> lastDeliveredId(group, StreamKeys.DELIVERY_GROUP))
                        .filter(id -> !id.isEmpty())
                        .findFirst()));
        return lastDelivered
                .flatMap(delivered -> oldestPending.map(pending -> compareIds(pending, delivered) < 0 ? pending : delivered)
                        .defaultIfEmpty(delivered))
                .flatMap(boundary -> commands.reactive().xtrim(keys.events(), XTrimArgs.Builder.minId(boundary)));
    }

    private static String lastDeliveredId(Object group, String name) {
        Object value = groupField(group, name, "last-delivered-id");
        return value == null ? "" : value.toString();
    }

    /** A field of one XINFO GROUPS entry of the group {@code name}; null when absent, nil or another group. */
    private static Object groupField(Object group, String name, String field) {
        if (!(group instanceof List<?> fields)) {
            return null;
        }
        String groupName = null;
        Object value = null;
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            String key = String.valueOf(fields.get(i));
            if (key.equals("name")) {
                groupName = String.valueOf(fields.get(i + 1));
            } else if (key.equals(field)) {
                value = fields.get(i + 1);
            }
        }
        return name.equals(groupName) ? value : null;
    }

    /** Sizes of the stream for the metrics. {@code lag} is -1 when Redis cannot tell (after deletions). */
    public record Stats(long length, long pending, long lag, long deadLetters) {
    }

    public Mono<Stats> stats() {
        Mono<List<Object>> groups = commands.reactive().xinfoGroups(keys.events()).collectList()
                .onErrorResume(e -> e.getMessage() != null && e.getMessage().contains("no such key"), e -> Mono.just(List.of()));
        return Mono.zip(commands.reactive().xlen(keys.events()), groups, commands.reactive().xlen(keys.dead()))
                .map(all -> {
                    Object group = all.getT2().stream().filter(DeliveryStream::isDeliveryGroup).findFirst().orElse(null);
                    Object pending = groupField(group, StreamKeys.DELIVERY_GROUP, "pending");
                    Object lag = groupField(group, StreamKeys.DELIVERY_GROUP, "lag");
                    return new Stats(all.getT1(), pending instanceof Number n ? n.longValue() : 0,
                            lag instanceof Number n ? n.longValue() : -1, all.getT3());
                });
    }

    private static boolean isDeliveryGroup(Object entry) {
        return groupField(entry, StreamKeys.DELIVERY_GROUP, "pending") != null;
    }

    /** Orders stream ids ({@code millis-sequence}). */
    static int compareIds(String left, String right) {
        String[] a = left.split("-");
        String[] b = right.split("-");
        int byTime = Long.compare(Long.parseLong(a[0]), Long.parseLong(b[0]));
        return byTime != 0 ? byTime : Long.compare(Long.parseLong(a[1]), Long.parseLong(b[1]));
    }

    /** Whether a failure means the group (or the stream) is gone, e.g. after Redis restarted empty. */
    public static boolean isMissingGroup(Throwable failure) {
        return failure.getMessage() != null && failure.getMessage().startsWith("NOGROUP");
    }

    @Override
    public void close() {
        reader.close();
        commands.close();
    }
}
