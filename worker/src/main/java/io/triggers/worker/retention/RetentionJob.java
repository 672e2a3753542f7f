package io.triggers.worker.retention;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.triggers.shared.config.RetentionProperties;
import io.triggers.worker.jobs.PeriodicJob;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Deletes what is past its time: delivered and acknowledged events {@code TRIGGERS_RETENTION_DELIVERED}
 * after they were delivered or acknowledged; {@code pending}, {@code failed} and {@code dead} events
 * {@code TRIGGERS_RETENTION_UNDELIVERED} after {@code created_at}, or their organization's own
 * {@code retention_days} (their deliveries, attempts and idempotency keys go with them by cascade);
 * and idempotency keys older than 24 hours. Rows go in batches of {@code batch-size}, each batch its
 * own statement and transaction, and {@code FOR UPDATE SKIP LOCKED} leaves rows someone else is
 * working on for the next run, so the job never holds a lock for long and several worker replicas
 * running it do not get in each other's way. What it deletes is counted by status
 * ({@code triggers_retention_deleted_total}).
 */
@Component
final class RetentionJob extends PeriodicJob {

    private static final Logger log = LoggerFactory.getLogger(RetentionJob.class);

    // By the index on when the event finished (events_finished_idx): the expression is the index's.
    private static final String DELETE_DELIVERED = """
            DELETE FROM events WHERE id IN (
                SELECT id FROM events
                WHERE status IN ('delivered', 'acknowledged')
                  AND (CASE status WHEN 'acknowledged' THEN acknowledged_at ELSE delivered_at END) < :cutoff
                LIMIT :batch FOR UPDATE SKIP LOCKED)
            RETURNING status
            """;

    /*
     * The organization's retention_days, else the installation's setting. created_at below the
     * widest cutoff (the shortest retention anywhere) lets the BRIN index on created_at skip every
     * block that is too young for any organization.
     */
    private static final String DELETE_UNDELIVERED = """
            DELETE FROM events WHERE id IN (
                SELECT e.id FROM events e JOIN organizations o ON o.id = e.organization_id
                WHERE e.status IN ('pending', 'failed', 'dead')
                  AND e.created_at < GREATEST(:cutoff::timestamptz,
                          :now::timestamptz - (SELECT min(retention_days) FROM organizations) * interval '1 day')
                  AND e.created_at < COALESCE(:now::timestamptz - o.retention_days * interval '1 day', :cutoff::timestamptz)
                LIMIT :batch FOR UPDATE OF e SKIP LOCKED)
            RETURNING status
            """;

    private static final String DELETE_IDEMPOTENCY_KEYS = """
            DELETE FROM idempotency_keys WHERE (organization_id, idempotency_key) IN (
                SELECT organization_id, idempotency_key FROM idempotency_keys
                WHERE created_at < :cutoff LIMIT :batch FOR UPDATE SKIP LOCKED)
            RETURNING 'idempotency_key' AS status
            """;

    private final DatabaseClient db;
    private final RetentionProperties properties;
    private final MeterRegistry meters;
    private final Map<String, Counter> deleted = new ConcurrentHashMap<>();

    RetentionJob(DatabaseClient db, RetentionProperties properties, MeterRegistry meters) {
        super(log, "retention run");
        this.db = db;
        this.properties = properties;
        this.meters = meters;
        for (String status : List.of("delivered", "acknowledged", "pending", "failed", "dead")) {
            counter(status);
        }
    }

    /** One run; emits how many events and idempotency keys it deleted. */
    Mono<long[]> runOnce() {
        Instant now = Instant.now();
        Mono<Long> delivered = deleteInBatches(DELETE_DELIVERED, Map.of("cutoff", now.minus(properties.retentionDelivered())), true);
        Mono<Long> undelivered = deleteInBatches(DELETE_UNDELIVERED,
                Map.of("cutoff", now.minus(properties.retentionUndelivered()), "now", now), true);
        Mono<Long> keys = deleteInBatches(DELETE_IDEMPOTENCY_KEYS, Map.of("cutoff", now.minus(properties.idempotencyWindow())), false);
        return Mono.zip(delivered, undelivered, keys)
                .map(counts -> new long[] {counts.getT1() + counts.getT2(), counts.getT3()})
                .doOnNext(counts -> {
                    if (counts[0] + counts[1] > 0) {
                        log.info("retention deleted {} events and {} idempotency keys", counts[0], counts[1]);
                    }
                });
    }

    /** Runs {@code sql} (which returns a status per row deleted) until a batch comes back short; emits the rows deleted. */
    private Mono<Long> deleteInBatches(String sql, Map<String, Object> parameters, boolean events) {
        int batch = properties.cleanup().batchSize();
        return Flux.range(0, properties.cleanup().maxBatches())
                .concatMap(i -> db.sql(sql).bindValues(parameters).bind("batch", batch)
                        .map(row -> row.get("status", String.class)).all()
                        .collect(Collectors.groupingBy(status -> status, Collectors.counting()))
                        .doOnNext(byStatus -> {
                            if (events) {
                                byStatus.forEach((status, count) -> counter(status).increment(count));
                            }
                        })
                        .map(byStatus -> byStatus.values().stream().mapToLong(Long::longValue).sum()))
                .takeUntil(count -> count < batch)
                .reduce(0L, Long::sum);
    }

    private Counter counter(String status) {
        return deleted.computeIfAbsent(status, key -> Counter.builder("triggers.retention.deleted")
                .description("Events deleted by retention, by the status they had")
                .tag("status", key)
                .register(meters));
    }

    @Override
    protected Duration every() {
        return properties.cleanup().every();
    }

    @Override
    protected Mono<?> tick() {
        return runOnce();
    }
}
