package io.triggers.worker.delivery;

import io.r2dbc.postgresql.codec.Json;
import io.triggers.shared.ids.UuidV7;
import io.triggers.worker.delivery.DeliveryTarget.EventData;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** What the worker reads and writes in PostgreSQL. */
@Component
final class DeliveryRepository {

    // Deliveries still owed: not delivered or dead yet, event neither acknowledged nor deleted.
    private static final String OWED = """
            SELECT e.id, e.organization_id, e.event_type, e.source, e.payload, e.metadata, e.created_at,
                   d.endpoint_id, d.attempts, d.next_attempt_at,
                   ep.url, ep.secret, ep.previous_secret, ep.previous_secret_expires_at, ep.enabled, ep.disabled_reason,
                   ep.failing_since
            FROM events e
            JOIN deliveries d ON d.event_id = e.id
            JOIN endpoints ep ON ep.id = d.endpoint_id
            WHERE e.id = :eventId
              AND e.status <> 'acknowledged'
              AND d.status IN ('pending', 'failed')
            """;

    // The attempt row and the delivery's new state, in one statement.
    private static final String RECORD_ATTEMPT = """
            WITH delivery AS (
                UPDATE deliveries
                SET status = :status,
                    attempts = attempts + 1,
                    last_attempt_at = :attemptedAt,
                    last_status_code = :statusCode,
                    last_error = :lastError,
                    next_attempt_at = :notBefore,
                    delivered_at = CASE WHEN :status = 'delivered' THEN :attemptedAt ELSE delivered_at END,
                    updated_at = :attemptedAt
                WHERE event_id = :eventId AND endpoint_id = :endpointId
                RETURNING event_id, endpoint_id, organization_id, attempts
            )
            INSERT INTO delivery_attempts (id, event_id, endpoint_id, organization_id, attempt, status_code,
                                           duration_ms, error, response_excerpt, attempted_at)
            SELECT :attemptId, event_id, endpoint_id, organization_id, attempts, :statusCode,
                   :durationMs, :error, :excerpt, :attemptedAt
            FROM delivery
            """;

    // Retries exhausted (or the endpoint gone) without a new attempt: the last error stays, or the reason is recorded.
    private static final String MARK_DEAD = """
            UPDATE deliveries
            SET status = 'dead', last_error = coalesce(:reason, last_error), next_attempt_at = NULL, updated_at = :now
            WHERE event_id = :eventId AND endpoint_id = :endpointId AND status IN ('pending', 'failed')
            """;

    // The event's status follows from its deliveries; an acknowledged event keeps its status.
    private static final String REFRESH_EVENT_STATUS = """
            UPDATE events e
            SET status = summary.status,
                delivered_at = CASE WHEN summary.status = 'delivered' THEN coalesce(e.delivered_at, :now) ELSE e.delivered_at END,
                updated_at = :now
            FROM (SELECT CASE WHEN bool_and(d.status = 'delivered') THEN 'delivered'
                              WHEN bool_or(d.status = 'dead') THEN 'dead'
                              WHEN bool_or(d.status = 'failed') THEN 'failed'
                              ELSE 'pending' END AS status,
                         count(*) AS deliveries
                  FROM deliveries d WHERE d.event_id = :eventId) summary
            WHERE e.id = :eventId
              AND summary.deliveries > 0
              AND e.status <> 'acknowledged'
              AND e.status <> summary.status
            """;

    private static final String ENDPOINT_RECOVERED = "UPDATE endpoints SET failing_since = NULL WHERE id = :id";

    // Starts (or continues) the endpoint's run of failures; disables it once the run is long enough.
    private static final String ENDPOINT_FAILED = """
            UPDATE endpoints
            SET failing_since = coalesce(failing_since, :now),
                enabled = enabled AND coalesce(failing_since, :now) > :disableBefore,
                disabled_at = CASE WHEN enabled AND coalesce(failing_since, :now) <= :disableBefore THEN :now ELSE disabled_at END,
                disabled_reason = CASE WHEN enabled AND coalesce(failing_since, :now) <= :disableBefore
                                       THEN 'failing continuously since '
                                            || to_char(coalesce(failing_since, :now) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                                       ELSE disabled_reason END,
                updated_at = CASE WHEN enabled AND coalesce(failing_since, :now) <= :disableBefore THEN :now ELSE updated_at END
            WHERE id = :id
            """;

    private static final String ENDPOINT_GONE = """
            UPDATE endpoints
            SET enabled = false, disabled_at = :now, updated_at = :now,
                disabled_reason = 'the receiver answered 410 Gone'
            WHERE id = :id AND enabled
            """;

    private final DatabaseClient db;

    DeliveryRepository(DatabaseClient db) {
        this.db = db;
    }

    Mono<List<DeliveryTarget>> owed(UUID eventId, Instant now) {
        return db.sql(OWED)
                .bind("eventId", eventId)
                .map(row -> {
                    EventData event = new EventData(
                            row.get("id", UUID.class),
                            row.get("organization_id", UUID.class),
                            row.get("event_type", String.class),
                            row.get("source", String.class),
                            row.get("payload", Json.class).asString(),
                            row.get("metadata", Json.class).asString(),
                            row.get("created_at", Instant.class));
                    List<String> secrets = new ArrayList<>(2);
                    secrets.add(row.get("secret", String.class));
                    String previous = row.get("previous_secret", String.class);
                    Instant previousExpires = row.get("previous_secret_expires_at", Instant.class);
                    if (previous != null && previousExpires != null && previousExpires.isAfter(now)) {
                        secrets.add(previous);
                    }
                    return new DeliveryTarget(event, row.get("endpoint_id", UUID.class), row.get("url", String.class),
                            List.copyOf(secrets), row.get("attempts", Integer.class), row.get("enabled", Boolean.class),
                            row.get("disabled_reason", String.class), row.get("next_attempt_at", Instant.class),
                            row.get("failing_since", Instant.class));
                })
                .all()
                .collectList();
    }

    /** Stores an attempt; {@code status} is the delivery's new status (delivered, failed or dead). */
    Mono<Void> recordAttempt(DeliveryTarget target, AttemptOutcome outcome, String status, Instant notBefore, Instant attemptedAt) {
        return db.sql(RECORD_ATTEMPT)
                .bind("status", status)
                .bind("attemptedAt", attemptedAt)
                .bind("statusCode", Parameter.fromOrEmpty(outcome.statusCode(), Integer.class))
                .bind("error", Parameter.fromOrEmpty(outcome.error(), String.class))
                .bind("lastError", Parameter.fromOrEmpty(lastError(outcome), String.class))
                .bind("notBefore", Parameter.fromOrEmpty(notBefore, Instant.class))
                .bind("eventId", target.event().id())
                .bind("endpointId", target.endpointId())
                .bind("attemptId", UuidV7.next())
                .bind("durationMs", (int) Math.min(outcome.durationMs(), Integer.MAX_VALUE))
                .bind("excerpt", Parameter.fromOrEmpty(outcome.responseExcerpt(), String.class))
                .then();
    }

    /** What the delivery shows as its last error: the failure, or the HTTP status a receiver refused with. */
    private static String lastError(AttemptOutcome outcome) {
        if (outcome.delivered()) {
            return null;
        }
        return outcome.error() != null ? outcome.error() : "HTTP " + outcome.statusCode();
    }

    Mono<Void> markDead(DeliveryTarget target, String reason, Instant now) {
        return db.sql(MARK_DEAD)
                .bind("reason", Parameter.fromOrEmpty(reason, String.class))
                .bind("now", now)
                .bind("eventId", target.event().id())
                .bind("endpointId", target.endpointId())
                .then();
    }

    Mono<Void> refreshEventStatus(UUID eventId, Instant now) {
        return db.sql(REFRESH_EVENT_STATUS)
                .bind("eventId", eventId)
                .bind("now", now)
                .then();
    }

    Mono<Void> endpointRecovered(UUID endpointId) {
        return db.sql(ENDPOINT_RECOVERED).bind("id", endpointId).then();
    }

    Mono<Void> endpointFailed(UUID endpointId, Instant now, Duration disableAfter) {
        return db.sql(ENDPOINT_FAILED)
                .bind("now", now)
                .bind("disableBefore", now.minus(disableAfter))
                .bind("id", endpointId)
                .then();
    }

    Mono<Void> endpointGone(UUID endpointId, Instant now) {
        return db.sql(ENDPOINT_GONE).bind("now", now).bind("id", endpointId).then();
    }
}
