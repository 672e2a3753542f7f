package io.triggers.worker.delivery;

import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.triggers.shared.config.RedisKeysProperties;
import io.triggers.shared.stream.StreamKeys;
import java.time.Duration;
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

    private final StreamKeys keys;
    private final StatefulRedisConnection<String, String> reader;
    private final StatefulRedisConnection<String, String> commands;

    /** Connects both connections (blocking: call it at start-up, not on an event loop). */
    public DeliveryStream(RedisClient client, RedisKeysProperties redisKeys) {
        this.keys = redisKeys.streamKeys();
        this.reader = client.connect(StringCodec.UTF8);
        this.commands = client.connect(StringCodec.UTF8);
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

    /** Acknowledges an entry: it leaves the group's pending list. */
    public Mono<Long> ack(String messageId) {
        return commands.reactive().xack(keys.events(), StreamKeys.DELIVERY_GROUP, messageId);
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
