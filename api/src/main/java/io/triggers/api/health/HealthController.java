package io.triggers.api.health;

import io.triggers.shared.Version;
import io.triggers.shared.time.Timestamps;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/health}: whether PostgreSQL and Redis answer, each within a second. It is open
 * to anyone, so what it costs is bounded: callers arriving while a check runs share it, and its
 * result is answered for a second after it was made ({@code timestamp} says when).
 */
@RestController
public final class HealthController {

    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration REUSED_FOR = Duration.ofSeconds(1);

    public record Health(String status, Instant timestamp, String version, Map<String, String> checks) {
    }

    private final DatabaseClient db;
    private final ReactiveStringRedisTemplate redis;
    private final Mono<ResponseEntity<Health>> latest;

    public HealthController(DatabaseClient db, ReactiveStringRedisTemplate redis) {
        this.db = db;
        this.redis = redis;
        this.latest = check().cache(answer -> REUSED_FOR, failure -> Duration.ZERO, () -> Duration.ZERO);
    }

    @GetMapping("/v1/health")
    public Mono<ResponseEntity<Health>> health() {
        return latest;
    }

    private Mono<ResponseEntity<Health>> check() {
        Mono<String> postgres = db.sql("SELECT 1").map(row -> "up").one()
                .timeout(CHECK_TIMEOUT).onErrorReturn("down").defaultIfEmpty("down");
        Mono<String> redisCheck = redis.execute(connection -> connection.ping()).next()
                .timeout(CHECK_TIMEOUT).map(pong -> "up").onErrorReturn("down").defaultIfEmpty("down");
        return Mono.zip(postgres, redisCheck).map(checks -> {
            Map<String, String> results = new LinkedHashMap<>();
            results.put("postgres", checks.getT1());
            results.put("redis", checks.getT2());
            boolean healthy = results.values().stream().allMatch("up"::equals);
            Health health = new Health(healthy ? "healthy" : "unhealthy", Timestamps.now(),
                    Version.current(), results);
            return ResponseEntity.status(healthy ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).body(health);
        });
    }
}
