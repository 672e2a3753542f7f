package io.triggers.api.auth;

import java.util.UUID;

/**
 * The organization an API key belongs to, resolved once per request.
 *
 * @param organizationId    the organization every call is scoped to
 * @param apiKeyId          the key used
 * @param name              the organization's name
 * @param tier              its tier
 * @param rateLimitPerMinute its own limit, or {@code null} for its tier's
 */
public record Tenant(UUID organizationId, UUID apiKeyId, String name, String tier, Integer rateLimitPerMinute) {

    /** The exchange attribute the authenticated tenant is kept under. */
    public static final String ATTRIBUTE = "io.triggers.api.auth.Tenant";
}
