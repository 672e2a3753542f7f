package io.triggers.api.keys;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Keeps {@code api_keys.last_used_at} without a database write per request: uses are noted in
 * memory and written for all keys in one statement every {@code triggers.auth.last-used-flush-every}
 * (10 s) and at shutdown.
 */
@Component
public final class KeyUsage implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(KeyUsage.class);

    private final ConcurrentHashMap<UUID, Instant> pending = new ConcurrentHashMap<>();
    private final ApiKeyRepository keys;
    private final Duration flushEvery;
    private volatile Disposable flushing;

    public KeyUsage(ApiKeyRepository keys, AuthProperties properties) {
        this.keys = keys;
        this.flushEvery = properties.lastUsedFlushEvery();
    }

    void used(UUID keyId, Instant at) {
        pending.merge(keyId, at, (earlier, later) -> later.isAfter(earlier) ? later : earlier);
    }

    /** A use noted here but not yet written, for answers that show last_used_at. */
    public Instant unwritten(UUID keyId) {
        return pending.get(keyId);
    }

    Mono<Void> flush() {
        if (pending.isEmpty()) {
            return Mono.empty();
        }
        Map<UUID, Instant> batch = new HashMap<>();
        pending.forEach((id, at) -> {
            batch.put(id, at);
            pending.remove(id, at);
        });
        return keys.recordUse(batch).onErrorResume(e -> {
            log.warn("could not record key use for {} keys, keeping them for the next flush: {}", batch.size(), e.toString());
            batch.forEach(this::used);
            return Mono.empty();
        });
    }

    @Override
    public void start() {
        flushing = Flux.interval(flushEvery, flushEvery).concatMap(tick -> flush()).subscribe();
    }

    @Override
    public void stop() {
        Disposable running = flushing;
        flushing = null;
        if (running != null) {
            running.dispose();
        }
        flush().block(Duration.ofSeconds(5));
    }

    @Override
    public boolean isRunning() {
        return flushing != null;
    }
}
