package io.triggers.api.auth;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code triggers.*} operator settings.
 *
 * @param adminToken the bearer token of operator calls ({@code TRIGGERS_ADMIN_TOKEN}); unset, operator calls answer 404
 */
@ConfigurationProperties("triggers")
public record AdminProperties(String adminToken) {

    public boolean adminEnabled() {
        return adminToken != null && !adminToken.isBlank();
    }
}
