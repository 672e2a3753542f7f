package io.triggers.worker.reconciler;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.reconciler.*}
 *
 * @param every how often one replica looks for events owed a delivery that no stream entry carries
 * @param grace how old such an event must be, so one between its commit and its XADD is left alone
 * @param batch events looked at per run
 */
@ConfigurationProperties("triggers.reconciler")
public record ReconcilerProperties(@DefaultValue("10s") Duration every, @DefaultValue("10s") Duration grace,
                                   @DefaultValue("1000") int batch) {
}
