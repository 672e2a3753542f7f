package io.triggers.worker.delivery;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.UUID;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.worker.*}: how one worker replica consumes the stream.
 *
 * @param consumerName    this replica's consumer name in the group; unique per process when unset
 * @param batchSize       entries per XREADGROUP (COUNT)
 * @param concurrency     events delivered at once by this replica
 * @param readBlock       how long one XREADGROUP waits for new entries (BLOCK); below the Redis command timeout
 * @param reclaimEvery    how often the reclaimer looks for entries due for a retry (or left by a dead replica)
 * @param heartbeatEvery  how often the idle time of in-flight entries is reset; must be well below the first retry step
 * @param trimEvery       how often acknowledged entries are trimmed from the stream
 * @param shutdownTimeout how long a stopping worker lets in-flight deliveries finish
 * @param redisStartupWait how long a starting worker keeps trying to reach Redis before it gives up
 * @param entryDeadline   the longest one stream entry may be worked on (all its deliveries and their
 *                        bookkeeping); past it, the entry is left pending and the worker checks PostgreSQL
 */
@ConfigurationProperties("triggers.worker")
public record WorkerProperties(
        String consumerName,
        @DefaultValue("64") int batchSize,
        @DefaultValue("128") int concurrency,
        @DefaultValue("2s") Duration readBlock,
        @DefaultValue("1s") Duration reclaimEvery,
        @DefaultValue("1s") Duration heartbeatEvery,
        @DefaultValue("30s") Duration trimEvery,
        @DefaultValue("20s") Duration shutdownTimeout,
        @DefaultValue("60s") Duration redisStartupWait,
        @DefaultValue("2m") Duration entryDeadline) {

    public WorkerProperties {
        if (consumerName == null || consumerName.isBlank()) {
            consumerName = host() + "-" + ManagementFactory.getRuntimeMXBean().getPid() + "-"
                    + UUID.randomUUID().toString().substring(0, 8);
        }
        if (batchSize < 1 || concurrency < 1) {
            throw new IllegalArgumentException("triggers.worker.batch-size and concurrency must be at least 1");
        }
        if (readBlock.isNegative() || readBlock.compareTo(Duration.ofSeconds(30)) > 0) {
            throw new IllegalArgumentException("triggers.worker.read-block must be between 0 and 30s");
        }
        for (Duration interval : new Duration[] {reclaimEvery, heartbeatEvery, trimEvery, redisStartupWait, entryDeadline}) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("triggers.worker intervals must be positive");
            }
        }
    }

    private static String host() {
        String fromEnv = System.getenv("HOSTNAME");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "worker";
        }
    }
}
