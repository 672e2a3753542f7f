package io.triggers.api.events;

import io.triggers.shared.config.RedisKeysProperties;
import io.triggers.shared.logging.ThrottledLog;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The fast path of idempotency, in Redis: a request claims its key with SET NX before touching
 * PostgreSQL, so a second request with the key while the first is in flight is told so (409), and
 * a replay of a finished one is answered without a database round trip. Redis is only the fast
 * path: when it is unreachable or was flushed, the unique key in PostgreSQL still decides, so no
 * duplicate event can be created either way.
 */
@Component
public final class IdempotencyGuard {

    private static final Logger log = LoggerFactory.getLogger(IdempotencyGuard.class);
    private static final ThrottledLog UNAVAILABLE = new ThrottledLog(log, Duration.ofSeconds(10));
    /** How long a claim blocks the key if its request never finishes (its api died). */
    static final Duration IN_FLIGHT_TTL = Duration.ofSeconds(60);
    static final Duration WINDOW = Duration.ofHours(24);
    private static final Duration REDIS_TIMEOUT = Duration.ofMillis(500);
    private static final String IN_FLIGHT = "inflight|";
    private static final String DONE = "done|";

    /** What Redis knows about a key. */
    public sealed interface Claim permits Owned, InFlight, Finished, Unknown {
    }

    /** This request claimed the key: it must {@link #complete} or {@link #release} it. */
    public record Owned(String redisKey) implements Claim {
    }

    /** Another request with the key is in progress. */
    public record InFlight() implements Claim {
    }

    /** A request with the key finished; its fingerprint and response. */
    public record Finished(String fingerprint, EventCreated response) implements Claim {
    }

    /** Redis could not say (unreachable, or the key vanished meanwhile): PostgreSQL decides alone. */
    public record Unknown() implements Claim {
    }

    private final ReactiveStringRedisTemplate redis;
    private final JsonMapper json;
    private final String prefix;

    public IdempotencyGuard(ReactiveStringRedisTemplate redis, JsonMapper json, RedisKeysProperties keys) {
        this.redis = redis;
        this.json = json;
        this.prefix = keys.keyPrefix() + ":idempotency:";
    }

    public Mono<Claim> claim(UUID organizationId, String idempotencyKey, String fingerprint) {
        String redisKey = prefix + organizationId + ":" + sha256(idempotencyKey);
        return redis.opsForValue().setIfAbsent(redisKey, IN_FLIGHT + fingerprint, IN_FLIGHT_TTL)
                .flatMap(claimed -> claimed
                        ? Mono.<Claim>just(new Owned(redisKey))
                        : redis.opsForValue().get(redisKey).map(this::read).defaultIfEmpty(new Unknown()))
                .timeout(REDIS_TIMEOUT)
                .onErrorResume(e -> {
                    UNAVAILABLE.warn("idempotency fast path unavailable, relying on PostgreSQL: {}", e.toString());
                    return Mono.just(new Unknown());
                });
    }

    /** Records the finished request's response for replays (best effort). */
    public Mono<Void> complete(Owned claim, String fingerprint, EventCreated response) {
        String value = DONE + fingerprint + "|" + json.writeValueAsString(response);
        return redis.opsForValue().set(claim.redisKey(), value, WINDOW)
                .timeout(REDIS_TIMEOUT)
                .onErrorResume(e -> Mono.empty())
                .then();
    }

    /** Gives the key up after a failed request, so a retry can proceed at once (best effort). */
    public Mono<Void> release(Owned claim) {
        return redis.delete(claim.redisKey())
                .timeout(REDIS_TIMEOUT)
                .onErrorResume(e -> Mono.empty())
                .then();
    }

    private Claim read(String value) {
        if (value.startsWith(IN_FLIGHT)) {
            return new InFlight();
        }
        if (value.startsWith(DONE)) {
            int separator = value.indexOf('|', DONE.length());
            if (separator > 0) {
                return new Finished(value.substring(DONE.length(), separator),
                        json.readValue(value.substring(separator + 1), EventCreated.class));
            }
        }
        return new Unknown();
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
