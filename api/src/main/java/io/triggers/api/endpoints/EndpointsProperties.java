package io.triggers.api.endpoints;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.endpoints.*}
 *
 * @param maxPerOrganization most webhook endpoints one organization may have; one more is a {@code 409}
 *                           ({@code TRIGGERS_ENDPOINTS_MAX_PER_ORGANIZATION}, 100). It also bounds how many
 *                           deliveries one event can fan out to.
 */
@ConfigurationProperties("triggers.endpoints")
public record EndpointsProperties(@DefaultValue("100") int maxPerOrganization) {

    public EndpointsProperties {
        if (maxPerOrganization < 1) {
            throw new IllegalArgumentException("triggers.endpoints.max-per-organization must be at least 1");
        }
    }
}
