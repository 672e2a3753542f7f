package io.triggers.worker.reconciler;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.reconciler.*}
 *
 * @param every      how often one replica walks on through the deliveries still owed, queueing any Redis lacks
 * @param grace      how old such a delivery must be, so one between its commit and its enqueue is left alone
 * @param batch      deliveries read per statement
 * @param maxBatches statements per run; the next run goes on where this one stopped, and starts over at the end
 */
@ConfigurationProperties("triggers.reconciler")
public record ReconcilerProperties(@DefaultValue("10s") Duration every, @DefaultValue("10s") Duration grace,
                                   @DefaultValue("1000") int batch, @DefaultValue("20") int maxBatches) {

    public ReconcilerProperties {
        if (batch < 1 || maxBatches < 1) {
            throw new IllegalArgumentException("triggers.reconciler.batch and max-batches must be at least 1");
        }
    }
}
