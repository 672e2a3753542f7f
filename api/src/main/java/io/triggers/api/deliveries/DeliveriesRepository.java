package io.triggers.api.deliveries;

import io.r2dbc.postgresql.codec.Json;
import io.triggers.shared.endpoints.EndpointMatch;
import io.triggers.shared.config.RetentionProperties;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Attempts, replays and dead letters. */
@Component
final class DeliveriesRepository {

    private static final String EVENT_EXISTS = "SELECT status FROM events WHERE id = :id AND organization_id = :organizationId";

    private static final String ATTEMPTS = """
            SELECT id, endpoint_id, attempt, status_code, duration_ms, error, response_excerpt, attempted_at
            FROM delivery_attempts WHERE event_id = :id AND organization_id = :organizationId
            ORDER BY attempted_at, id
            """;

    private static final String ENDPOINT_STATE = "SELECT enabled FROM endpoints WHERE id = :id AND organization_id = :organizationId";

    /*
     * Replay: the event's deliveries to its matching enabled endpoints (or to the one given) are
     * made pending again (created where missing), each with its retry schedule started over, and
     * the event is pending again; the caller queues it.
     */
    private static final String REPLAY = """
            WITH event AS (
                SELECT id, organization_id, event_type, source, payload, metadata FROM events WHERE id = :id AND organization_id = :organizationId
            ),
            target AS (
                SELECT endpoint.id FROM event
                JOIN endpoints endpoint ON endpoint.organization_id = event.organization_id AND endpoint.enabled
                WHERE CASE WHEN :endpointId::uuid IS NOT NULL THEN endpoint.id = :endpointId::uuid
                           ELSE """ + EndpointMatch.CONDITION + """
                           END
            ),
            renewed AS (
                INSERT INTO deliveries (event_id, endpoint_id, organization_id, status, created_at, updated_at)
                SELECT event.id, target.id, event.organization_id, 'pending', :now, :now FROM event, target
                ON CONFLICT (event_id, endpoint_id) DO UPDATE
                    SET status = 'pending', next_attempt_at = NULL, schedule_from = deliveries.attempts, updated_at = :now
                RETURNING event_id
            ),
            pending AS (
                UPDATE events SET status = 'pending', updated_at = :now
                WHERE id IN (SELECT event_id FROM renewed)
                RETURNING id
            )
            SELECT count(*) AS deliveries FROM renewed
            """;

    private static final String DEAD_LETTERS = """
            SELECT e.id, e.event_type, e.source, e.payload, e.metadata, e.status, e.created_at, e.acknowledged_at,
                   e.delivered_at, e.updated_at,
                   (SELECT d.last_error FROM deliveries d WHERE d.event_id = e.id AND d.status = 'dead'
                    ORDER BY d.updated_at DESC LIMIT 1) AS last_error,
                   e.created_at + COALESCE((SELECT retention_days FROM organizations WHERE id = :organizationId) * interval '1 day',
                                           :undeliveredSeconds * interval '1 second') AS expires_at
            FROM events e
            WHERE e.organization_id = :organizationId AND e.status = 'dead'
              AND (:afterAt::timestamptz IS NULL OR (e.updated_at, e.id) < (:afterAt::timestamptz, :afterId::uuid))
            ORDER BY e.updated_at DESC, e.id DESC
            LIMIT :limit
            """;

    // At most 1000 per call, each made pending again with its dead or failed deliveries.
    private static final String REPLAY_DEAD = """
            WITH chosen AS (
                SELECT id FROM events
                WHERE organization_id = :organizationId AND status = 'dead'
                  AND (id = ANY (:ids::uuid[]) OR (:since::timestamptz IS NOT NULL AND updated_at >= :since::timestamptz))
                ORDER BY updated_at
                LIMIT 1000
                FOR UPDATE SKIP LOCKED
            ),
            revived AS (
                UPDATE deliveries d SET status = 'pending', next_attempt_at = NULL, schedule_from = d.attempts, updated_at = :now
                FROM chosen WHERE d.event_id = chosen.id AND d.status IN ('dead', 'failed')
                RETURNING d.event_id
            ),
            replayed AS (
                UPDATE events e SET status = 'pending', updated_at = :now
                FROM chosen WHERE e.id = chosen.id
                RETURNING e.id, e.request_id
            )
            SELECT id, request_id FROM replayed
            """;

    record Attempt(UUID id, UUID endpointId, int attempt, Integer statusCode, int durationMs, String error,
                   String responseExcerpt, Instant attemptedAt) {
    }

    /** An attempt as an endpoint's listing shows it: with its event. */
    record EndpointAttempt(UUID id, UUID eventId, UUID endpointId, int attempt, Integer statusCode, int durationMs, String error,
                           String responseExcerpt, Instant attemptedAt) {
    }

    // An endpoint's attempts, newest first, by keyset on delivery_attempts_endpoint_idx (all, or the
    // 2xx ones, filtered while walking it) or on delivery_attempts_endpoint_failed_idx (the failed
    // ones: the statement's condition is that partial index's predicate, written out, so the planner
    // can take it). One statement text per kind and for first and later pages: a bound status could
    // not select the index, and an optional cursor ("IS NULL OR ...") in a generic plan is a filter,
    // not an index condition, so a deep page walked every newer attempt (270 ms at 5 000 of them).
    private static final String ENDPOINT_ATTEMPTS = """
            SELECT id, event_id, endpoint_id, attempt, status_code, duration_ms, error, response_excerpt, attempted_at
            FROM delivery_attempts
            WHERE endpoint_id = :endpointId AND organization_id = :organizationId
              %s
              %s
            ORDER BY attempted_at DESC, id DESC
            LIMIT :limit
            """;
    private static final String AFTER = "AND (attempted_at, id) < (:afterAt::timestamptz, :afterId::uuid)";
    private static final Map<String, String> STATUS_CONDITIONS = Map.of(
            "all", "",
            "succeeded", "AND status_code BETWEEN 200 AND 299",
            "failed", "AND (status_code IS NULL OR status_code NOT BETWEEN 200 AND 299)");

    record DeadLetter(UUID eventId, String eventType, String source, String payload, String metadata, String status,
                      Instant createdAt, Instant acknowledgedAt, Instant deliveredAt, Instant diedAt, String lastError,
                      Instant expiresAt) {
    }

    record Replayed(UUID eventId, String requestId) {
    }

    private final DatabaseClient db;
    private final RetentionProperties retention;

    DeliveriesRepository(DatabaseClient db, RetentionProperties retention) {
        this.db = db;
        this.retention = retention;
    }

    /** The event's status, or empty when it is not the organization's. */
    Mono<String> eventStatus(UUID organizationId, UUID eventId) {
        return db.sql(EVENT_EXISTS).bind("id", eventId).bind("organizationId", organizationId)
                .map(row -> row.get("status", String.class)).one();
    }

    Mono<List<Attempt>> attempts(UUID organizationId, UUID eventId) {
        return db.sql(ATTEMPTS).bind("id", eventId).bind("organizationId", organizationId)
                .map(row -> new Attempt(row.get("id", UUID.class), row.get("endpoint_id", UUID.class),
                        row.get("attempt", Integer.class), row.get("status_code", Integer.class),
                        row.get("duration_ms", Integer.class), row.get("error", String.class),
                        row.get("response_excerpt", String.class), row.get("attempted_at", Instant.class)))
                .all().collectList();
    }

    /** One page of an endpoint's attempts, newest first, after the position given (if any); {@code status} succeeded, failed or null. */
    Mono<List<EndpointAttempt>> endpointAttempts(UUID organizationId, UUID endpointId, String status, Instant afterAt, UUID afterId,
                                                 int limit) {
        String condition = STATUS_CONDITIONS.get(status == null ? "all" : status);
        DatabaseClient.GenericExecuteSpec statement = afterAt == null
                ? db.sql(ENDPOINT_ATTEMPTS.formatted("", condition))
                : db.sql(ENDPOINT_ATTEMPTS.formatted(AFTER, condition)).bind("afterAt", afterAt).bind("afterId", afterId);
        return statement
                .bind("endpointId", endpointId)
                .bind("organizationId", organizationId)
                .bind("limit", limit)
                .map(row -> new EndpointAttempt(row.get("id", UUID.class), row.get("event_id", UUID.class),
                        row.get("endpoint_id", UUID.class), row.get("attempt", Integer.class), row.get("status_code", Integer.class),
                        row.get("duration_ms", Integer.class), row.get("error", String.class),
                        row.get("response_excerpt", String.class), row.get("attempted_at", Instant.class)))
                .all().collectList();
    }

    /** Whether the endpoint is the organization's and enabled; empty when it is not the organization's. */
    Mono<Boolean> endpointEnabled(UUID organizationId, UUID endpointId) {
        return db.sql(ENDPOINT_STATE).bind("id", endpointId).bind("organizationId", organizationId)
                .map(row -> row.get("enabled", Boolean.class)).one();
    }

    /** Emits how many deliveries were made pending again. */
    Mono<Long> replay(UUID organizationId, UUID eventId, UUID endpointId, Instant now) {
        return db.sql(REPLAY)
                .bind("id", eventId)
                .bind("organizationId", organizationId)
                .bind("endpointId", Parameter.fromOrEmpty(endpointId, UUID.class))
                .bind("now", now)
                .map(row -> row.get("deliveries", Long.class))
                .one();
    }

    Mono<List<DeadLetter>> deadLetters(UUID organizationId, Instant afterAt, UUID afterId, int limit) {
        return db.sql(DEAD_LETTERS)
                .bind("organizationId", organizationId)
                .bind("afterAt", Parameter.fromOrEmpty(afterAt, Instant.class))
                .bind("afterId", Parameter.fromOrEmpty(afterId, UUID.class))
                .bind("limit", limit)
                .bind("undeliveredSeconds", retention.retentionUndelivered().toSeconds())
                .map(row -> new DeadLetter(row.get("id", UUID.class), row.get("event_type", String.class),
                        row.get("source", String.class), row.get("payload", Json.class).asString(),
                        row.get("metadata", Json.class).asString(), row.get("status", String.class),
                        row.get("created_at", Instant.class), row.get("acknowledged_at", Instant.class),
                        row.get("delivered_at", Instant.class), row.get("updated_at", Instant.class),
                        row.get("last_error", String.class), row.get("expires_at", Instant.class)))
                .all().collectList();
    }

    Mono<List<Replayed>> replayDead(UUID organizationId, List<UUID> eventIds, Instant since, Instant now) {
        return db.sql(REPLAY_DEAD)
                .bind("organizationId", organizationId)
                .bind("ids", eventIds.toArray(UUID[]::new))
                .bind("since", Parameter.fromOrEmpty(since, Instant.class))
                .bind("now", now)
                .map(row -> new Replayed(row.get("id", UUID.class), row.get("request_id", String.class)))
                .all().collectList();
    }
}
