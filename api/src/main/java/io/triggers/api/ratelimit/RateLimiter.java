package io.triggers.api.ratelimit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.triggers.api.auth.Tenant;
import io.triggers.api.organizations.Tiers;
import io.triggers.shared.config.RedisKeysProperties;
import io.triggers.shared.logging.ThrottledLog;
import io.triggers.shared.queue.FixedScript;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.ClassPathResource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Per-organization rate limits: one GCRA Lua script per request in Redis (EVALSHA), so they hold
 * across every api replica. Limits are per minute with the whole minute's budget as burst. An
 * organization has two budgets: ingestion (its tier's or its own {@code rate_limit_per_minute};
 * an ingest call costs one unit, a batch one per item and may be granted part of its ask), and
 * every other call (reads and management, {@code triggers.rate-limit.calls-per-minute}, one unit
 * each), so polling consumers and the console cannot starve ingestion, nor the reverse. When Redis
 * does not answer, requests are let through: that is logged and counted
 * ({@code triggers_ratelimit_unavailable_total}).
 */
@Component
public final class RateLimiter {

    private static final Logger log = LoggerFactory.getLogger(RateLimiter.class);
    private static final Duration REDIS_TIMEOUT = Duration.ofMillis(500);
    private static final long MICROS_PER_MINUTE = 60_000_000L;

    /**
     * The limiter's answer.
     *
     * @param limit             requests per minute, 0 = unlimited
     * @param granted           units granted, at most the ask
     * @param remaining         units still available now
     * @param resetSeconds      seconds until the full budget is back
     * @param retryAfterSeconds seconds until one more unit is available, when not all were granted
     */
    public record Decision(int limit, int granted, long remaining, long resetSeconds, long retryAfterSeconds) {

        public void applyTo(HttpHeaders headers) {
            headers.set("X-RateLimit-Limit", Integer.toString(limit));
            headers.set("X-RateLimit-Remaining", Long.toString(remaining));
            headers.set("X-RateLimit-Reset", Long.toString(resetSeconds));
        }
    }

    @SuppressWarnings("rawtypes")
    private final RedisScript<List> script;
    private final ReactiveStringRedisTemplate redis;
    private final String prefix;
    private final int callsPerMinute;
    private final Counter unavailable;
    private final Counter limited;
    private final ThrottledLog unavailableLog = new ThrottledLog(log, Duration.ofSeconds(10));

    public RateLimiter(ReactiveStringRedisTemplate redis, RedisKeysProperties keys, RateLimitProperties properties, MeterRegistry meters) {
        this.redis = redis;
        this.prefix = keys.keyPrefix() + ":ratelimit:";
        this.callsPerMinute = properties.callsPerMinute();
        // Read (and its SHA-1 computed) here, once: a script backed by a resource reads the file on
        // first use, which would be a file read on an event loop.
        try (InputStream source = new ClassPathResource("ratelimit/gcra.lua").getInputStream()) {
            this.script = FixedScript.of(new String(source.readAllBytes(), StandardCharsets.UTF_8), List.class);
        } catch (IOException e) {
            throw new UncheckedIOException("ratelimit/gcra.lua is missing from the application", e);
        }
        this.unavailable = Counter.builder("triggers.ratelimit.unavailable")
                .description("Requests let through without a rate-limit decision because Redis did not answer")
                .register(meters);
        this.limited = Counter.builder("triggers.ratelimit.limited")
                .description("Requests (and batch items) refused with 429 because the organization's rate limit was spent")
                .register(meters);
    }

    /** Asks for {@code units} of the tenant's ingest budget. */
    public Mono<Decision> acquire(Tenant tenant, int units) {
        return acquire(prefix + tenant.organizationId(), Tiers.effectiveLimit(tenant.tier(), tenant.rateLimitPerMinute()), units);
    }

    /** Asks for one unit of the tenant's budget for reads and management calls. */
    public Mono<Decision> acquireCall(Tenant tenant) {
        return acquire(prefix + tenant.organizationId() + ":calls", callsPerMinute, 1);
    }

    private Mono<Decision> acquire(String key, int limit, int units) {
        if (limit == 0) {
            return Mono.just(new Decision(0, units, 0, 0, 0));
        }
        long interval = Math.max(1, MICROS_PER_MINUTE / limit);
        return redis.execute(script, List.of(key),
                        List.of(Long.toString(interval), Integer.toString(limit), Integer.toString(units)))
                .next()
                .timeout(REDIS_TIMEOUT)
                .map(result -> new Decision(limit,
                        toInt(result.get(0)),
                        toLong(result.get(1)),
                        ceilSeconds(toLong(result.get(3))),
                        ceilSeconds(toLong(result.get(2)))))
                .doOnNext(decision -> {
                    if (decision.granted() < units) {
                        limited.increment(units - decision.granted());
                    }
                })
                .onErrorResume(e -> {
                    unavailable.increment();
                    unavailableLog.warn("rate limiting unavailable, letting requests through: {}", e.toString());
                    return Mono.just(new Decision(limit, units, limit, 0, 0));
                });
    }

    private static long ceilSeconds(long micros) {
        return micros <= 0 ? 0 : (micros + 999_999) / 1_000_000;
    }

    private static long toLong(Object value) {
        return ((Number) value).longValue();
    }

    private static int toInt(Object value) {
        return ((Number) value).intValue();
    }
}
