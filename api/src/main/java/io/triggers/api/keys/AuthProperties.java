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
 */
@ConfigurationProperties("triggers.auth")
public record AuthProperties(@DefaultValue("4s") Duration keyCacheTtl, @DefaultValue("10s") Duration lastUsedFlushEvery) {

    public AuthProperties {
        if (keyCacheTtl.isNegative() || lastUsedFlushEvery.isNegative() || lastUsedFlushEvery.isZero()) {
            throw new IllegalArgumentException("triggers.auth durations must be positive");
        }
    }
}
