package io.triggers.worker.retention;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How long data is kept.
 *
 * @param retention         events older than this are deleted with their deliveries and attempts ({@code TRIGGERS_RETENTION})
 * @param idempotencyWindow idempotency keys older than this are deleted (24 hours, the contract's window)
 * @param cleanup           how the deleting is paced
 */
@ConfigurationProperties("triggers")
public record RetentionProperties(
        @DefaultValue("7d") Duration retention,
        @DefaultValue("24h") Duration idempotencyWindow,
        @DefaultValue Cleanup cleanup) {

    /**
     * @param every     how often the job runs ({@code TRIGGERS_CLEANUP_EVERY})
     * @param batchSize rows deleted per statement, each its own short transaction ({@code TRIGGERS_CLEANUP_BATCH_SIZE})
     * @param maxBatches batches per run at most, so one run never goes on for long
     */
    public record Cleanup(@DefaultValue("1m") Duration every, @DefaultValue("1000") int batchSize,
                          @DefaultValue("100") int maxBatches) {
    }

    public RetentionProperties {
        if (retention.isNegative() || retention.isZero() || cleanup.batchSize() < 1 || cleanup.maxBatches() < 1) {
            throw new IllegalArgumentException("triggers.retention must be positive and triggers.cleanup sizes at least 1");
        }
    }
}
