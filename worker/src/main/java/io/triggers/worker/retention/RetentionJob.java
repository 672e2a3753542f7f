package io.triggers.worker.retention;

import io.triggers.worker.jobs.PeriodicJob;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Deletes what is past its time: events older than {@code TRIGGERS_RETENTION} (their deliveries,
 * attempts and idempotency keys go with them by cascade) and idempotency keys older than 24 hours.
 * Rows go in batches of {@code batch-size}, each batch its own statement and transaction, and
 * {@code FOR UPDATE SKIP LOCKED} leaves rows someone else is working on for the next run, so the
 * job never holds a lock for long and several worker replicas running it do not get in each
 * other's way.
 */
@Component
final class RetentionJob extends PeriodicJob {

    private static final Logger log = LoggerFactory.getLogger(RetentionJob.class);

    private static final String DELETE_EVENTS = """
            DELETE FROM events WHERE id IN (
                SELECT id FROM events WHERE created_at < :cutoff ORDER BY created_at LIMIT :batch FOR UPDATE SKIP LOCKED)
            """;

    private static final String DELETE_IDEMPOTENCY_KEYS = """
            DELETE FROM idempotency_keys WHERE (organization_id, idempotency_key) IN (
                SELECT organization_id, idempotency_key FROM idempotency_keys
                WHERE created_at < :cutoff LIMIT :batch FOR UPDATE SKIP LOCKED)
            """;

    private final DatabaseClient db;
    private final RetentionProperties properties;

    RetentionJob(DatabaseClient db, RetentionProperties properties) {
        super(log, "retention run");
        this.db = db;
        this.properties = properties;
    }

    /** One run; emits how many events and idempotency keys it deleted. */
    Mono<long[]> runOnce() {
        Instant now = Instant.now();
        return deleteInBatches(DELETE_EVENTS, now.minus(properties.retention()))
                .zipWith(deleteInBatches(DELETE_IDEMPOTENCY_KEYS, now.minus(properties.idempotencyWindow())))
                .map(deleted -> new long[] {deleted.getT1(), deleted.getT2()})
                .doOnNext(deleted -> {
                    if (deleted[0] + deleted[1] > 0) {
                        log.info("retention deleted {} events and {} idempotency keys", deleted[0], deleted[1]);
                    }
                });
    }

    private Mono<Long> deleteInBatches(String sql, Instant cutoff) {
        int batch = properties.cleanup().batchSize();
        return Flux.range(0, properties.cleanup().maxBatches())
                .concatMap(i -> db.sql(sql).bind("cutoff", cutoff).bind("batch", batch).fetch().rowsUpdated())
                .takeUntil(deleted -> deleted < batch)
                .reduce(0L, Long::sum);
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
