package io.triggers.worker.stats;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.stats.*}: how the worker rolls activity up per minute for the stats calls.
 *
 * @param rollupEvery how often the roll-up runs ({@code TRIGGERS_STATS_ROLLUP_EVERY})
 * @param rollupLag   how far behind now it stays: a row stored (committed) later than this after its
 *                    id was made is not counted ({@code TRIGGERS_STATS_ROLLUP_LAG})
 * @param keep        how long per-minute activity is kept ({@code TRIGGERS_STATS_KEEP})
 */
@ConfigurationProperties("triggers.stats")
public record StatsProperties(
        @DefaultValue("10s") Duration rollupEvery,
        @DefaultValue("30s") Duration rollupLag,
        @DefaultValue("30d") Duration keep) {

    public StatsProperties {
        if (rollupEvery.isNegative() || rollupEvery.isZero()) {
            throw new IllegalArgumentException("triggers.stats.rollup-every must be positive");
        }
        if (rollupLag.isNegative()) {
            throw new IllegalArgumentException("triggers.stats.rollup-lag must not be negative");
        }
    }
}
