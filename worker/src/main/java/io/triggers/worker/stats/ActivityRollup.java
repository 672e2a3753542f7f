package io.triggers.worker.stats;

import io.triggers.shared.time.Timestamps;
import io.triggers.worker.jobs.PeriodicJob;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Rolls activity up for the stats calls: events ingested per organization and attempts (succeeded,
 * failed) per endpoint and per organization by minute, into {@code activity_minutes}, and attempts
 * by duration per endpoint and hour into {@code activity_latency}. It reads only what is new since the last run, by id: events and
 * attempts have time-ordered ids (UUIDv7), so a range of their primary keys is a range of time, in
 * chunks of at most an hour, each one statement that counts it and moves {@code rollup_progress}
 * on. One worker replica at a time does it (the others skip the locked progress row); the chunk a
 * replica was in when it died is not counted twice, since counting and moving on commit together.
 *
 * <p>It stays {@code triggers.stats.rollup-lag} behind now, so that rows whose statement is still
 * committing are there when their minute is counted; a row committed later than that after its id
 * was made is not counted (the events and attempts themselves are of course kept).
 */
@Component
public final class ActivityRollup extends PeriodicJob {

    private static final Logger log = LoggerFactory.getLogger(ActivityRollup.class);

    private static final String CHUNK = """
            WITH progress AS (
                SELECT done_until AS from_at, least(done_until + interval '1 hour', :upto::timestamptz) AS to_at
                FROM rollup_progress WHERE name = 'activity' AND done_until < :upto::timestamptz
                FOR UPDATE SKIP LOCKED
            ), bounds AS (
                SELECT to_at, uuid_v7_floor(from_at) AS from_id, uuid_v7_floor(to_at) AS to_id FROM progress
            ), ingested AS (
                SELECT e.organization_id, date_trunc('minute', e.created_at) AS minute, count(*) AS n
                FROM bounds JOIN events e ON e.id >= bounds.from_id AND e.id < bounds.to_id
                WHERE NOT starts_with(e.event_type, 'triggers.')
                GROUP BY 1, 2
            ), attempts AS (
                SELECT a.organization_id, a.endpoint_id, date_trunc('minute', a.attempted_at) AS minute, a.duration_ms,
                       coalesce(a.status_code BETWEEN 200 AND 299, false) AS succeeded
                FROM bounds JOIN delivery_attempts a ON a.id >= bounds.from_id AND a.id < bounds.to_id
            ), per_endpoint AS (
                SELECT organization_id, endpoint_id, minute,
                       count(*) FILTER (WHERE succeeded) AS succeeded, count(*) FILTER (WHERE NOT succeeded) AS failed
                FROM attempts GROUP BY 1, 2, 3
            ), per_organization AS (
                SELECT organization_id, minute, sum(ingested) AS ingested, sum(succeeded) AS succeeded, sum(failed) AS failed
                FROM (SELECT organization_id, minute, n AS ingested, 0 AS succeeded, 0 AS failed FROM ingested
                      UNION ALL
                      SELECT organization_id, minute, 0, succeeded, failed FROM per_endpoint) counted
                GROUP BY 1, 2
            ), endpoint_rows AS (
                INSERT INTO activity_minutes AS m (organization_id, endpoint_id, minute, succeeded, failed)
                SELECT organization_id, endpoint_id, minute, succeeded, failed FROM per_endpoint
                ON CONFLICT (organization_id, endpoint_id, minute)
                DO UPDATE SET succeeded = m.succeeded + excluded.succeeded, failed = m.failed + excluded.failed
            ), organization_rows AS (
                INSERT INTO activity_minutes AS m (organization_id, endpoint_id, minute, ingested, succeeded, failed)
                SELECT organization_id, '00000000-0000-0000-0000-000000000000', minute, ingested, succeeded, failed
                FROM per_organization
                ON CONFLICT (organization_id, endpoint_id, minute)
                DO UPDATE SET ingested = m.ingested + excluded.ingested, succeeded = m.succeeded + excluded.succeeded,
                              failed = m.failed + excluded.failed
            ), latency_rows AS (
                INSERT INTO activity_latency AS l (organization_id, endpoint_id, hour, bucket, attempts)
                SELECT organization_id, endpoint_id, date_trunc('hour', minute, 'UTC'),
                       floor(ln(greatest(duration_ms, 1)) / ln(1.2))::smallint, count(*)
                FROM attempts GROUP BY 1, 2, 3, 4
                ON CONFLICT (organization_id, endpoint_id, hour, bucket) DO UPDATE SET attempts = l.attempts + excluded.attempts
            )
            UPDATE rollup_progress SET done_until = bounds.to_at FROM bounds WHERE name = 'activity'
            RETURNING done_until
            """;

    private static final String FORGET = """
            WITH minutes AS (DELETE FROM activity_minutes WHERE minute < :before)
            DELETE FROM activity_latency WHERE hour < :before
            """;

    private final DatabaseClient db;
    private final StatsProperties properties;

    ActivityRollup(DatabaseClient db, StatsProperties properties) {
        super(log, "rolling activity up");
        this.db = db;
        this.properties = properties;
    }

    @Override
    protected Duration first() {
        return Duration.ofSeconds(1);
    }

    @Override
    protected Duration every() {
        return properties.rollupEvery();
    }

    @Override
    protected Mono<?> tick() {
        Instant now = Timestamps.now();
        Instant upto = now.minus(properties.rollupLag());
        return chunk(upto)
                .expand(doneUntil -> doneUntil.isBefore(upto) ? chunk(upto) : Mono.empty())
                .then(db.sql(FORGET).bind("before", now.minus(properties.keep())).then());
    }

    /** Counts the next chunk; emits how far the roll-up has come, or nothing when another replica holds it or it is done. */
    private Mono<Instant> chunk(Instant upto) {
        return db.sql(CHUNK).bind("upto", upto).map(row -> row.get("done_until", Instant.class)).one();
    }
}
