package io.triggers.worker;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.worker.*}: how one worker replica takes deliveries from the queue.
 *
 * @param concurrency      deliveries made at once by this replica
 * @param lease            how long a delivery handed out to this replica stays its own without a heartbeat; a
 *                         replica that dies leaves its deliveries to others after this long
 * @param heartbeatEvery   how often the leases of deliveries in flight are extended; well below {@code lease}
 * @param readBlock        the longest the dispatcher waits before looking at every shard again (it is woken
 *                         sooner when the api queues work or a timer comes)
 * @param shutdownTimeout  how long a stopping worker lets deliveries in flight finish
 * @param redisStartupWait how long a starting worker keeps trying to reach Redis before it gives up
 * @param entryDeadline    the longest one delivery may be worked on (the attempt and its bookkeeping); past it,
 *                         it is left to its lease and the worker checks PostgreSQL
 * @param statementsAtOnce most PostgreSQL statements of one kind (delivery lookups, outcomes, event statuses)
 *                         running at once; deliveries arriving meanwhile share the next one (see DeliveryRepository)
 */
@ConfigurationProperties("triggers.worker")
public record WorkerProperties(
        @DefaultValue("128") int concurrency,
        @DefaultValue("10s") Duration lease,
        @DefaultValue("1s") Duration heartbeatEvery,
        @DefaultValue("1s") Duration readBlock,
        @DefaultValue("20s") Duration shutdownTimeout,
        @DefaultValue("60s") Duration redisStartupWait,
        @DefaultValue("2m") Duration entryDeadline,
        @DefaultValue("1") int statementsAtOnce) {

    public WorkerProperties {
        if (concurrency < 1) {
            throw new IllegalArgumentException("triggers.worker.concurrency must be at least 1");
        }
        if (statementsAtOnce < 1) {
            throw new IllegalArgumentException("triggers.worker.statements-at-once must be at least 1");
        }
        for (Duration interval : new Duration[] {lease, heartbeatEvery, readBlock, redisStartupWait, entryDeadline}) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("triggers.worker intervals must be positive");
            }
        }
        if (heartbeatEvery.multipliedBy(2).compareTo(lease) > 0) {
            throw new IllegalArgumentException("triggers.worker.heartbeat-every must be at most half of triggers.worker.lease");
        }
        if (readBlock.compareTo(Duration.ofSeconds(30)) > 0) {
            throw new IllegalArgumentException("triggers.worker.read-block must be at most 30s");
        }
    }
}
