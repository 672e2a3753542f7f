package io.triggers.api.keys;

import io.triggers.api.auth.Tenant;
import io.triggers.api.keys.ApiKeyRepository.KeyInfo;
import io.triggers.api.web.ApiException;
import io.triggers.api.web.PathIds;
import io.triggers.api.web.JsonBodies;
import io.triggers.api.web.RequestFields;
import io.triggers.shared.ids.UuidV7;
import io.triggers.shared.time.Timestamps;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** The caller's organization's API keys. */
@RestController
public final class KeysController {

    static final int DEFAULT_GRACE_SECONDS = 3600;
    static final int MAX_GRACE_SECONDS = 30 * 24 * 3600;
    private static final Set<String> ROTATE_FIELDS = Set.of("grace_period_seconds");

    /** A new key, shown once. */
    public record NewKey(UUID id, String key, String prefix, Instant createdAt) {
    }

    public record KeyList(List<KeyInfo> keys) {
    }

    private final ApiKeyRepository keys;
    private final KeyResolver resolver;
    private final KeyUsage usage;
    private final JsonBodies bodies;

    public KeysController(ApiKeyRepository keys, KeyResolver resolver, KeyUsage usage, JsonBodies bodies) {
        this.keys = keys;
        this.resolver = resolver;
        this.usage = usage;
        this.bodies = bodies;
    }

    @GetMapping("/v1/keys")
    public Mono<KeyList> list(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant) {
        return keys.listActive(tenant.organizationId(), Timestamps.now())
                .map(found -> new KeyList(found.stream().map(this::withUnwrittenUse).toList()));
    }

    @PostMapping("/v1/keys")
    @ResponseStatus(HttpStatus.CREATED)
    public Mono<NewKey> create(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant) {
        NewKey key = newKey();
        return keys.insert(tenant.organizationId(), key.id(), ApiKeys.hash(key.key()), key.prefix(), key.createdAt())
                .thenReturn(key);
    }

    /** A new key replacing {@code id}; the old one works on for the grace period (0: revoked now). */
    @PostMapping("/v1/keys/{id}/rotate")
    @ResponseStatus(HttpStatus.CREATED)
    public Mono<NewKey> rotate(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id,
                               ServerHttpRequest request) {
        UUID oldId = parseId(id);
        Mono<Integer> grace = bodies.readOptionalObject(request, 4096).map(body -> {
            RequestFields fields = new RequestFields(body, ROTATE_FIELDS);
            Integer seconds = fields.nonNegativeInt("grace_period_seconds");
            if (seconds != null && seconds > MAX_GRACE_SECONDS) {
                fields.problem("grace_period_seconds", "invalid_value",
                        "grace_period_seconds must be from 0 to " + MAX_GRACE_SECONDS);
            }
            fields.throwIfInvalid();
            return seconds == null ? DEFAULT_GRACE_SECONDS : seconds;
        });
        return grace.flatMap(seconds -> {
            NewKey key = newKey();
            return keys.rotate(tenant.organizationId(), oldId, seconds, key.id(), ApiKeys.hash(key.key()), key.prefix(),
                            key.createdAt())
                    .flatMap(rotated -> rotated
                            ? Mono.fromRunnable(() -> resolver.forget(oldId)).thenReturn(key)
                            : Mono.error(PathIds.notFound("key", id)));
        });
    }

    @DeleteMapping("/v1/keys/{id}")
    public Mono<ResponseEntity<Void>> delete(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id) {
        UUID keyId = parseId(id);
        return keys.revoke(tenant.organizationId(), keyId, Timestamps.now()).map(result -> switch (result) {
            case REVOKED -> {
                resolver.forget(keyId);
                yield ResponseEntity.noContent().build();
            }
            case NOT_FOUND -> throw PathIds.notFound("key", id);
            case LAST_KEY -> throw ApiException.conflict("this is the organization's last active key; create another first");
        });
    }

    private KeyInfo withUnwrittenUse(KeyInfo key) {
        Instant unwritten = usage.unwritten(key.id());
        if (unwritten == null || (key.lastUsedAt() != null && !unwritten.isAfter(key.lastUsedAt()))) {
            return key;
        }
        return new KeyInfo(key.id(), key.prefix(), key.createdAt(), key.expiresAt(), unwritten.truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
    }

    private static NewKey newKey() {
        String key = ApiKeys.generate();
        return new NewKey(UuidV7.next(), key, ApiKeys.displayPrefix(key), Timestamps.now());
    }

    private static UUID parseId(String id) {
        return PathIds.parse(id, "key");
    }
}
