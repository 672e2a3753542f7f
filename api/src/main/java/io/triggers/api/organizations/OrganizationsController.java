package io.triggers.api.organizations;

import io.triggers.api.keys.ApiKeys;
import io.triggers.api.web.JsonBodies;
import io.triggers.api.web.RequestFields;
import io.triggers.shared.ids.UuidV7;
import io.triggers.shared.time.Timestamps;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Operator calls: create organizations (the admin token is checked by the authentication filter). */
@RestController
public final class OrganizationsController {

    private static final Set<String> FIELDS = Set.of("name", "tier", "rate_limit_per_minute");
    private static final long MAX_BODY = 16 * 1024;

    /** The first key, shown once. */
    public record NewKey(UUID id, String key, String prefix, Instant createdAt) {
    }

    public record CreatedOrganization(UUID id, String name, String tier, int rateLimitPerMinute, Instant createdAt, NewKey apiKey) {
    }

    private final OrganizationRepository organizations;
    private final JsonBodies bodies;

    public OrganizationsController(OrganizationRepository organizations, JsonBodies bodies) {
        this.organizations = organizations;
        this.bodies = bodies;
    }

    @PostMapping("/v1/organizations")
    @ResponseStatus(HttpStatus.CREATED)
    public Mono<CreatedOrganization> create(ServerHttpRequest request) {
        return bodies.readObject(request, MAX_BODY).flatMap(body -> {
            RequestFields fields = new RequestFields(body, FIELDS);
            String name = fields.string("name", true, 200, null);
            String tier = fields.string("tier", false, 20, Tiers.NAMES);
            Integer limit = fields.nonNegativeInt("rate_limit_per_minute");
            fields.throwIfInvalid();
            String effectiveTier = tier == null ? "free" : tier;
            Instant now = Timestamps.now();
            String key = ApiKeys.generate();
            NewKey newKey = new NewKey(UuidV7.next(), key, ApiKeys.displayPrefix(key), now);
            UUID id = UuidV7.next();
            return organizations.create(id, name, effectiveTier, limit, now, newKey.id(), ApiKeys.hash(key), newKey.prefix())
                    .thenReturn(new CreatedOrganization(id, name, effectiveTier, Tiers.effectiveLimit(effectiveTier, limit), now, newKey));
        });
    }
}
