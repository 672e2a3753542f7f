package io.triggers.api.ratelimit;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.rate-limit.*}
 *
 * @param callsPerMinute each organization's budget for every call that is not ingestion (reads,
 *                       management, the inbox), per minute, across all api replicas
 *                       ({@code TRIGGERS_RATE_LIMIT_CALLS_PER_MINUTE}, 6000; 0 = unlimited). Ingestion
 *                       spends the organization's own budget ({@code rate_limit_per_minute} or its tier's).
 */
@ConfigurationProperties("triggers.rate-limit")
public record RateLimitProperties(@DefaultValue("6000") int callsPerMinute) {

    public RateLimitProperties {
        if (callsPerMinute < 0 || callsPerMinute > 60_000_000) {
            throw new IllegalArgumentException("triggers.rate-limit.calls-per-minute must be from 0 (unlimited) to 60000000");
        }
    }
}
