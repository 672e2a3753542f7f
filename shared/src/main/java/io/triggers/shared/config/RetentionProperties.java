package io.triggers.shared.config;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How long data is kept. The worker deletes; the api shows when ({@code expires_at}).
 *
 * @param retentionDelivered   delivered and acknowledged events are deleted this long after
 *                             {@code delivered_at} or {@code acknowledged_at} ({@code TRIGGERS_RETENTION_DELIVERED},
 *                             7 days; {@code TRIGGERS_RETENTION} is its old name, still accepted)
 * @param retention            the old name of {@code retentionDelivered}, used when that is not set
 * @param retentionUndelivered {@code pending}, {@code failed} and {@code dead} events are deleted this long after
 *                             {@code created_at} ({@code TRIGGERS_RETENTION_UNDELIVERED}, 30 days), unless their
 *                             organization sets {@code retention_days}
 * @param idempotencyWindow    idempotency keys older than this are deleted (24 hours, the contract's window)
 * @param cleanup              how the deleting is paced
 */
@ConfigurationProperties("triggers")
public record RetentionProperties(
        Duration retentionDelivered,
        Duration retention,
        @DefaultValue("30d") Duration retentionUndelivered,
        @DefaultValue("24h") Duration idempotencyWindow,
        @DefaultValue Cleanup cleanup) {

    private static final Duration DELIVERED_DEFAULT = Duration.ofDays(7);

    /**
     * @param every      how often the job runs ({@code TRIGGERS_CLEANUP_EVERY})
     * @param batchSize  rows deleted per statement, each its own short transaction ({@code TRIGGERS_CLEANUP_BATCH_SIZE})
     * @param maxBatches batches per run at most, so one run never goes on for long
     */
    public record Cleanup(@DefaultValue("1m") Duration every, @DefaultValue("1000") int batchSize,
                          @DefaultValue("100") int maxBatches) {
    }

    public RetentionProperties {
        if (retentionDelivered == null) {
            retentionDelivered = retention == null ? DELIVERED_DEFAULT : retention;
        }
        if (!positive(retentionDelivered) || !positive(retentionUndelivered)) {
            throw new IllegalArgumentException(
                    "TRIGGERS_RETENTION_DELIVERED (or TRIGGERS_RETENTION) and TRIGGERS_RETENTION_UNDELIVERED must be positive");
        }
        if (cleanup.batchSize() < 1 || cleanup.maxBatches() < 1 || !positive(cleanup.every())) {
            throw new IllegalArgumentException("TRIGGERS_CLEANUP_EVERY must be positive and the cleanup sizes at least 1");
        }
    }

    private static boolean positive(Duration duration) {
        return !duration.isNegative() && !duration.isZero();
    }
}
