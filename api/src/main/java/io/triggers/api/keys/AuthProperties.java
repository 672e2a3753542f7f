package io.triggers.api.keys;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.auth.*}
 *
 * @param keyCacheTtl        how long a resolved key is trusted from memory; a revoked key works at most this long
 *                           on any replica (the contract allows 5 s)
 * @param lastUsedFlushEvery how often the keys' {@code last_used_at} are written (one statement for all keys)
 * @param failedPerSecond    failed authentications a client address may have per second (in bursts of as many)
 *                           before it is answered 429 without its credential being looked at
 *                           ({@code TRIGGERS_AUTH_FAILED_PER_SECOND}, 20)
 */
@ConfigurationProperties("triggers.auth")
public record AuthProperties(@DefaultValue("4s") Duration keyCacheTtl, @DefaultValue("10s") Duration lastUsedFlushEvery,
                             @DefaultValue("20") int failedPerSecond) {

    public AuthProperties {
        if (keyCacheTtl.isNegative() || lastUsedFlushEvery.isNegative() || lastUsedFlushEvery.isZero()) {
            throw new IllegalArgumentException("triggers.auth durations must be positive");
        }
        if (failedPerSecond < 1 || failedPerSecond > 1_000_000_000) {
            throw new IllegalArgumentException("triggers.auth.failed-per-second must be from 1 to 1000000000");
        }
    }
}
