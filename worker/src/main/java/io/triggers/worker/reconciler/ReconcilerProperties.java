package io.triggers.worker.reconciler;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.reconciler.*}
 *
 * @param every         how often one replica walks on through the deliveries still owed, queueing any Redis lacks
 * @param grace         how old such a delivery must be, so one between its commit and its enqueue is left alone
 * @param batch         deliveries read per statement
 * @param maxBatches    statements per run at most (a run also stops after 80 % of {@code every}); the
 *                      next run goes on where this one stopped
 * @param fullWalkEvery how often the walk starts over from the oldest owed delivery; in between, runs
 *                      read only deliveries newer than the walk's end (Redis keeps what was queued),
 *                      unless a shard's marker says Redis lost its keys
 */
@ConfigurationProperties("triggers.reconciler")
public record ReconcilerProperties(@DefaultValue("10s") Duration every, @DefaultValue("10s") Duration grace,
                                   @DefaultValue("1000") int batch, @DefaultValue("1000") int maxBatches,
                                   @DefaultValue("10m") Duration fullWalkEvery) {

    public ReconcilerProperties {
        if (batch < 1 || maxBatches < 1) {
            throw new IllegalArgumentException("triggers.reconciler.batch and max-batches must be at least 1");
        }
        if (fullWalkEvery.isNegative() || fullWalkEvery.isZero()) {
            throw new IllegalArgumentException("triggers.reconciler.full-walk-every must be positive");
        }
    }
}
