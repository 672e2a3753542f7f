package io.triggers.api.keys;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.triggers.api.auth.Tenant;
import io.triggers.api.keys.ApiKeyRepository.ResolvedKey;
import io.triggers.api.events.IngestProperties;
import io.triggers.api.web.ApiException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Resolves presented API keys from memory. A resolved key (or the absence of one) is cached for
 * {@code triggers.auth.key-cache-ttl} (4 s), which bounds how long a revoked key keeps working on
 * any replica; an expiry inside that window is honoured exactly, from the cached expiry time.
 * Concurrent lookups of one key share one database query.
 */
@Component
public final class KeyResolver {

    private final ApiKeyRepository keys;
    private final KeyUsage usage;
    private final Duration lookupTimeout;
    private final AsyncCache<ByteBuffer, Optional<ResolvedKey>> cache;

    public KeyResolver(ApiKeyRepository keys, KeyUsage usage, AuthProperties properties, IngestProperties ingest) {
        this.keys = keys;
        this.usage = usage;
        this.lookupTimeout = ingest.storeTimeout();
        this.cache = Caffeine.newBuilder()
                .expireAfterWrite(properties.keyCacheTtl())
                .maximumSize(100_000)
                .buildAsync();
    }

    /** The tenant of an active key, or empty. */
    public Mono<Tenant> resolve(String key) {
        byte[] hash = ApiKeys.hash(key);
        return Mono.fromFuture(() -> cache.get(ByteBuffer.wrap(hash), (ignored, executor) ->
                        keys.findActive(hash).map(Optional::of).defaultIfEmpty(Optional.empty())
                                // A failed lookup is not cached; the caller gets a 503 (see ApiErrorHandler).
                                .timeout(lookupTimeout, Mono.error(() -> ApiException.serviceUnavailable(
                                        "API keys cannot be checked right now; retry shortly", 1)))
                                .toFuture()))
                .flatMap(found -> {
                    if (found.isEmpty()) {
                        return Mono.empty();
                    }
                    ResolvedKey resolved = found.get();
                    Instant now = Instant.now();
                    if (resolved.expiresAt() != null && !resolved.expiresAt().isAfter(now)) {
                        return Mono.empty();
                    }
                    usage.used(resolved.tenant().apiKeyId(), now);
                    return Mono.just(resolved.tenant());
                });
    }

    /** Forgets a key on this replica at once (others follow within the cache TTL). */
    public void forget(UUID keyId) {
        cache.synchronous().asMap().values()
                .removeIf(entry -> entry.isPresent() && entry.get().tenant().apiKeyId().equals(keyId));
    }

    /** Forgets every cached key of an organization on this replica (after its tier or limit changed). */
    public void forgetOrganization(UUID organizationId) {
        cache.synchronous().asMap().values()
                .removeIf(entry -> entry.isPresent() && entry.get().tenant().organizationId().equals(organizationId));
    }
}
