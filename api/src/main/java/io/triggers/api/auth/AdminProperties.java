package io.triggers.api.auth;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code triggers.*} operator settings.
 *
 * @param adminToken the bearer token of operator calls ({@code TRIGGERS_ADMIN_TOKEN}), at least
 *                   {@value AdminToken#MIN_LENGTH} characters; unset or shorter, operator calls answer 404
 */
@ConfigurationProperties("triggers")
public record AdminProperties(String adminToken) {
}
