package io.triggers.api.stats;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The stats queries. Attempts and ingested events come from the worker's per-minute roll-up
 * ({@code activity_minutes}, {@code activity_latency}); deliveries' current states, dead events and
 * endpoint states are counted where they are, on indexes that hold only the few rows concerned.
 */
@Component
final class StatsRepository {

    private static final String ENDPOINT_ATTEMPTS = """
            SELECT coalesce(sum(succeeded), 0) AS succeeded, coalesce(sum(failed), 0) AS failed
            FROM activity_minutes
            WHERE organization_id = :organizationId AND endpoint_id = :endpointId AND minute >= :since AND minute < :until
            """;

    private static final String ENDPOINT_LATENCY = """
            SELECT bucket, sum(attempts) AS attempts
            FROM activity_latency
            WHERE organization_id = :organizationId AND endpoint_id = :endpointId
              AND hour >= date_trunc('hour', :since::timestamptz, 'UTC') AND hour < :until
            GROUP BY bucket
            """;

    // On deliveries_endpoint_open_idx: delivered deliveries, the bulk, are not in it.
    private static final String ENDPOINT_DELIVERIES = """
            SELECT status, count(*) AS deliveries
            FROM deliveries
            WHERE endpoint_id = :endpointId AND status IN ('pending', 'failed', 'dead', 'paused')
              AND created_at >= :since AND created_at < :until
            GROUP BY status
            """;

    private static final String SERIES = """
            WITH buckets AS (
                SELECT at FROM generate_series(date_trunc(:interval, :since::timestamptz, 'UTC'), :until::timestamptz - interval '1 microsecond',
                                               ('1 ' || :interval)::interval) AS at
            ), activity AS (
                SELECT date_trunc(:interval, minute, 'UTC') AS at, sum(ingested) AS ingested, sum(succeeded) AS delivered, sum(failed) AS failed
                FROM activity_minutes
                WHERE organization_id = :organizationId AND endpoint_id = '00000000-0000-0000-0000-000000000000'
                  AND minute >= date_trunc(:interval, :since::timestamptz, 'UTC') AND minute < :until
                GROUP BY 1
            ), died AS (
                SELECT date_trunc(:interval, updated_at, 'UTC') AS at, count(*) AS dead
                FROM events
                WHERE organization_id = :organizationId AND status = 'dead'
                  AND updated_at >= date_trunc(:interval, :since::timestamptz, 'UTC') AND updated_at < :until
                GROUP BY 1
            )
            SELECT buckets.at, coalesce(activity.ingested, 0) AS ingested, coalesce(activity.delivered, 0) AS delivered,
                   coalesce(activity.failed, 0) AS failed, coalesce(died.dead, 0) AS dead
            FROM buckets
            LEFT JOIN activity ON activity.at = buckets.at
            LEFT JOIN died ON died.at = buckets.at
            ORDER BY buckets.at
            """;

    private static final String TOTALS = """
            SELECT (SELECT count(*) FROM events WHERE organization_id = :organizationId AND status = 'dead') AS dead_letters,
                   count(*) FILTER (WHERE enabled AND failing_since IS NULL) AS enabled,
                   count(*) FILTER (WHERE enabled AND failing_since IS NOT NULL) AS failing,
                   count(*) FILTER (WHERE NOT enabled) AS disabled
            FROM endpoints WHERE organization_id = :organizationId
            """;

    record Attempts(long succeeded, long failed) {
    }

    record Point(Instant at, long ingested, long delivered, long failed, long dead) {
    }

    record Totals(long deadLetters, long enabled, long failing, long disabled) {
    }

    private final DatabaseClient db;

    StatsRepository(DatabaseClient db) {
        this.db = db;
    }

    Mono<Attempts> endpointAttempts(UUID organizationId, UUID endpointId, Instant since, Instant until) {
        return db.sql(ENDPOINT_ATTEMPTS)
                .bind("organizationId", organizationId).bind("endpointId", endpointId).bind("since", since).bind("until", until)
                .map(row -> new Attempts(row.get("succeeded", Long.class), row.get("failed", Long.class)))
                .one();
    }

    /** Attempts by duration bucket (see {@link Latency}). */
    Mono<Map<Integer, Long>> endpointLatency(UUID organizationId, UUID endpointId, Instant since, Instant until) {
        return db.sql(ENDPOINT_LATENCY)
                .bind("organizationId", organizationId).bind("endpointId", endpointId).bind("since", since).bind("until", until)
                .map(row -> Map.entry(row.get("bucket", Integer.class), row.get("attempts", Long.class)))
                .all()
                .collect(TreeMap::new, (buckets, entry) -> buckets.put(entry.getKey(), entry.getValue()));
    }

    Mono<Map<String, Long>> endpointDeliveries(UUID endpointId, Instant since, Instant until) {
        return db.sql(ENDPOINT_DELIVERIES)
                .bind("endpointId", endpointId).bind("since", since).bind("until", until)
                .map(row -> Map.entry(row.get("status", String.class), row.get("deliveries", Long.class)))
                .all()
                .collectMap(Map.Entry::getKey, Map.Entry::getValue);
    }

    Mono<List<Point>> series(UUID organizationId, Instant since, Instant until, String interval) {
        return db.sql(SERIES)
                .bind("organizationId", organizationId).bind("since", since).bind("until", until).bind("interval", interval)
                .map(row -> new Point(row.get("at", Instant.class), row.get("ingested", Long.class), row.get("delivered", Long.class),
                        row.get("failed", Long.class), row.get("dead", Long.class)))
                .all()
                .collect(ArrayList::new, List::add);
    }

    Mono<Totals> totals(UUID organizationId) {
        return db.sql(TOTALS).bind("organizationId", organizationId)
                .map(row -> new Totals(row.get("dead_letters", Long.class), row.get("enabled", Long.class),
                        row.get("failing", Long.class), row.get("disabled", Long.class)))
                .one();
    }
}
