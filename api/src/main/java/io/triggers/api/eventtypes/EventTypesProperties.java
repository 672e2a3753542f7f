package io.triggers.api.eventtypes;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.event-types.*}
 *
 * @param maxPerOrganization most event types one organization may have; one more is a {@code 409}
 *                           ({@code TRIGGERS_EVENT_TYPES_MAX_PER_ORGANIZATION}, 200). With the 64 KiB
 *                           limit of a schema it bounds what one organization's schemas hold in memory
 *                           and what {@code GET /v1/event-types} answers
 * @param cacheTtl           how long a replica trusts what it read of an organization's schemas; a change
 *                           made through another replica is enforced here at most this long (plus one
 *                           query) later ({@code TRIGGERS_EVENT_TYPES_CACHE_TTL}, 4 s; the contract's
 *                           bound for such changes is 5 s)
 */
@ConfigurationProperties("triggers.event-types")
public record EventTypesProperties(@DefaultValue("200") int maxPerOrganization, @DefaultValue("4s") Duration cacheTtl) {

    public EventTypesProperties {
        if (maxPerOrganization < 1) {
            throw new IllegalArgumentException("triggers.event-types.max-per-organization must be at least 1");
        }
        if (cacheTtl.isNegative() || cacheTtl.isZero()) {
            throw new IllegalArgumentException("triggers.event-types.cache-ttl must be positive");
        }
    }
}
