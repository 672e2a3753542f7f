package io.triggers.api.organizations;

import io.triggers.api.auth.Operator;
import io.triggers.api.keys.ApiKeys;
import io.triggers.api.keys.KeyResolver;
import io.triggers.api.keys.KeysController.NewKey;
import io.triggers.api.organizations.OrganizationRepository.Changes;
import io.triggers.api.organizations.OrganizationRepository.Organization;
import io.triggers.api.web.ApiException;
import io.triggers.api.web.PathIds;
import io.triggers.api.web.JsonBodies;
import io.triggers.api.web.RequestFields;
import io.triggers.shared.ids.UuidV7;
import io.triggers.shared.time.Timestamps;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * Operator calls on organizations. The authentication filter checks the admin token; each handler
 * also asks for the {@link Operator} that only that check puts on the exchange, so a call that
 * slipped past the filter is still refused.
 */
@RestController
public final class OrganizationsController {

    private static final Set<String> FIELDS = Set.of("name", "tier", "rate_limit_per_minute", "retention_days");
    /** retention_days from 1 day to 10 years. */
    private static final int MAX_RETENTION_DAYS = 3650;
    private static final long MAX_BODY = 16 * 1024;

    public record CreatedOrganization(UUID id, String name, String tier, int rateLimitPerMinute, Integer retentionDays,
                                      Instant createdAt, NewKey apiKey) {
    }

    /**
     * An organization; {@code rate_limit_per_minute} is the limit in force (its own, else its tier's;
     * 0 = unlimited); {@code retention_days} its own retention of undelivered events, null when the
     * installation's {@code TRIGGERS_RETENTION_UNDELIVERED} applies.
     */
    public record OrganizationView(UUID id, String name, String tier, int rateLimitPerMinute, Integer retentionDays,
                                   Instant createdAt, Instant updatedAt) {

        static OrganizationView of(Organization organization) {
            return new OrganizationView(organization.id(), organization.name(), organization.tier(),
                    Tiers.effectiveLimit(organization.tier(), organization.rateLimitOverride()),
                    organization.retentionDays(), organization.createdAt(), organization.updatedAt());
        }
    }

    private final OrganizationRepository organizations;
    private final KeyResolver keys;
    private final JsonBodies bodies;

    public OrganizationsController(OrganizationRepository organizations, KeyResolver keys, JsonBodies bodies) {
        this.organizations = organizations;
        this.keys = keys;
        this.bodies = bodies;
    }

    @PostMapping("/v1/organizations")
    @ResponseStatus(HttpStatus.CREATED)
    public Mono<CreatedOrganization> create(ServerWebExchange exchange) {
        Operator.require(exchange);
        return bodies.readObject(exchange.getRequest(), MAX_BODY).flatMap(body -> {
            RequestFields fields = new RequestFields(body, FIELDS);
            String name = fields.string("name", true, 200, null);
            String tier = fields.string("tier", false, 20, Tiers.NAMES);
            Integer limit = fields.nonNegativeInt("rate_limit_per_minute");
            Integer retentionDays = fields.intBetween("retention_days", 1, MAX_RETENTION_DAYS);
            fields.throwIfInvalid();
            String effectiveTier = tier == null ? "free" : tier;
            Instant now = Timestamps.now();
            String key = ApiKeys.generate();
            NewKey newKey = new NewKey(UuidV7.next(), key, ApiKeys.displayPrefix(key), now);
            UUID id = UuidV7.next();
            return organizations.create(id, name, effectiveTier, limit, retentionDays, now, newKey.id(), ApiKeys.hash(key),
                            newKey.prefix())
                    .thenReturn(new CreatedOrganization(id, name, effectiveTier, Tiers.effectiveLimit(effectiveTier, limit),
                            retentionDays, now, newKey));
        });
    }

    @GetMapping("/v1/organizations/{id}")
    public Mono<OrganizationView> get(@PathVariable("id") String id, ServerWebExchange exchange) {
        Operator.require(exchange);
        return organizations.find(parseId(id))
                .switchIfEmpty(Mono.error(() -> notFound(id)))
                .map(OrganizationView::of);
    }

    /**
     * Changes any of name, tier, rate_limit_per_minute ({@code null} there: back to the tier's limit)
     * and retention_days ({@code null}: back to the installation's setting).
     */
    @PatchMapping("/v1/organizations/{id}")
    public Mono<OrganizationView> update(@PathVariable("id") String id, ServerWebExchange exchange) {
        Operator.require(exchange);
        UUID organizationId = parseId(id);
        return bodies.readObject(exchange.getRequest(), MAX_BODY).flatMap(body -> {
            Changes changes = changes(body);
            return organizations.update(organizationId, changes, Timestamps.now())
                    .switchIfEmpty(Mono.error(() -> notFound(id)))
                    .doOnNext(updated -> keys.forgetOrganization(organizationId))
                    .map(OrganizationView::of);
        });
    }

    private static Changes changes(JsonNode body) {
        RequestFields fields = new RequestFields(body, FIELDS);
        boolean setName = body.has("name");
        String name = setName ? fields.string("name", true, 200, null) : null;
        boolean setTier = body.has("tier");
        String tier = setTier ? fields.string("tier", true, 20, Tiers.NAMES) : null;
        boolean setRateLimit = body.has("rate_limit_per_minute");
        Integer rateLimit = fields.nonNegativeInt("rate_limit_per_minute");
        boolean setRetention = body.has("retention_days");
        Integer retentionDays = fields.intBetween("retention_days", 1, MAX_RETENTION_DAYS);
        fields.throwIfInvalid();
        return new Changes(setName, name, setTier, tier, setRateLimit, rateLimit, setRetention, retentionDays);
    }

    private static UUID parseId(String id) {
        return PathIds.parse(id, "organization");
    }

    private static ApiException notFound(String id) {
        return PathIds.notFound("organization", id);
    }
}
