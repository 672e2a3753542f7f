package io.triggers.worker.storage;

import io.r2dbc.postgresql.codec.Json;
import io.triggers.shared.crypto.SecretCipher;
import io.triggers.shared.crypto.SecretCipher.UndecryptableSecret;
import io.triggers.shared.ids.UuidV7;
import io.triggers.shared.logging.ThrottledLog;
import io.triggers.shared.storage.Coalescer;
import io.triggers.shared.storage.StorageBusy;
import io.triggers.shared.storage.StorageFailures;
import io.triggers.shared.time.Timestamps;
import io.triggers.worker.WorkerProperties;
import io.triggers.worker.delivery.AttemptOutcome;
import io.triggers.worker.delivery.DeliveryTarget.EventData;
import io.triggers.worker.delivery.DeliveryTarget;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the worker reads and writes in PostgreSQL. The three statements every delivery makes
 * (what is owed, the attempt, the event's status) are shared by concurrent deliveries
 * ({@link Coalescer}): one statement and one commit for many; they run on connections of their own
 * that plan each statement once ({@link DeliveryStatements}).
 */
@Component
public final class DeliveryRepository {

    // The deliveries asked for that are still owed: not delivered, dead or paused, event neither
    // acknowledged nor deleted. Driven by the (event, endpoint) pairs, so each is one primary-key
    // lookup whatever the statistics say: joined from events by id instead, PostgreSQL without fresh
    // statistics (autovacuum off, or a table that just grew) hashed the whole deliveries table per
    // lookup, 5 ms and 60 buffers per webhook (issue 17). "status <> ALL (...)", not "status IN
    // (pending, failed)": the latter matches the predicate of the reconciler's partial index
    // deliveries_owed_keyset_idx, which PostgreSQL may then take for a small one and scan whole.
    private static final String OWED = """
            SELECT e.id, e.organization_id, e.event_type, e.source, e.payload, e.metadata, e.created_at,
                   d.endpoint_id, d.attempts, d.schedule_from, d.next_attempt_at,
                   ep.url, ep.secret, ep.previous_secret, ep.previous_secret_expires_at, ep.enabled, ep.disabled_reason,
                   ep.failing_since, ep.headers, ep.retry_schedule_ms
            FROM unnest(:eventIds::uuid[], :endpointIds::uuid[]) AS wanted(event_id, endpoint_id)
            JOIN deliveries d ON d.event_id = wanted.event_id AND d.endpoint_id = wanted.endpoint_id
            JOIN events e ON e.id = d.event_id
            JOIN endpoints ep ON ep.id = d.endpoint_id
            WHERE e.status <> 'acknowledged'
              AND d.status <> ALL ('{delivered,dead,paused}')
            """;

    // The attempt rows and the deliveries' new states, for many attempts in one statement.
    private static final String RECORD_ATTEMPTS = """
            WITH input AS (
                SELECT * FROM unnest(:eventIds::uuid[], :endpointIds::uuid[], :statuses::text[], :statusCodes::int[],
                                     :errors::text[], :lastErrors::text[], :notBefores::timestamptz[], :attemptIds::uuid[],
                                     :durations::int[], :excerpts::text[], :attemptedAts::timestamptz[])
                    AS i(event_id, endpoint_id, status, status_code, error, last_error, not_before, attempt_id,
                         duration_ms, excerpt, attempted_at)
            ), delivery AS (
                UPDATE deliveries d
                SET status = i.status,
                    attempts = d.attempts + 1,
                    last_attempt_at = i.attempted_at,
                    last_status_code = i.status_code,
                    last_error = i.last_error,
                    next_attempt_at = i.not_before,
                    delivered_at = CASE WHEN i.status = 'delivered' THEN i.attempted_at ELSE d.delivered_at END,
                    updated_at = i.attempted_at
                FROM input i
                WHERE d.event_id = i.event_id AND d.endpoint_id = i.endpoint_id
                RETURNING d.event_id, d.endpoint_id, d.organization_id, d.attempts, i.attempt_id, i.status_code,
                          i.duration_ms, i.error, i.excerpt, i.attempted_at
            )
            INSERT INTO delivery_attempts (id, event_id, endpoint_id, organization_id, attempt, status_code,
                                           duration_ms, error, response_excerpt, attempted_at)
            SELECT attempt_id, event_id, endpoint_id, organization_id, attempts, status_code,
                   duration_ms, error, excerpt, attempted_at
            FROM delivery
            """;

    // Retries exhausted (or the endpoint gone) without a new attempt: the last error stays, or the reason is recorded.
    private static final String MARK_DEAD = """
            UPDATE deliveries
            SET status = 'dead', last_error = coalesce(:reason, last_error), next_attempt_at = NULL, updated_at = :now
            WHERE event_id = :eventId AND endpoint_id = :endpointId AND status <> ALL ('{delivered,dead}')
            """;

    /*
     * The endpoint is disabled by hand: the delivery pauses. FOR SHARE on the endpoint row orders this
     * with an api enabling it again: either the pause commits first and the api's resume finds it, or
     * this sees the endpoint enabled and pauses nothing.
     */
    private static final String MARK_PAUSED = """
            UPDATE deliveries d
            SET status = 'paused', next_attempt_at = NULL, updated_at = :now
            WHERE d.event_id = :eventId AND d.endpoint_id = :endpointId AND d.status <> ALL ('{delivered,dead,paused}')
              AND EXISTS (SELECT 1 FROM endpoints ep
                          WHERE ep.id = d.endpoint_id AND NOT ep.enabled AND ep.disabled_reason IS NULL FOR SHARE)
            """;

    // Each event's status follows from its deliveries; an acknowledged event keeps its status, and so
    // does one whose deliveries are only delivered or paused (an endpoint disabled by hand). The ids
    // bound on events too: joined only through the summary, PostgreSQL without fresh statistics
    // hashed the whole events table per statement (issue 17).
    private static final String REFRESH_EVENT_STATUSES = """
            UPDATE events e
            SET status = summary.status,
                delivered_at = CASE WHEN summary.status = 'delivered' THEN coalesce(e.delivered_at, :now) ELSE e.delivered_at END,
                updated_at = :now
            FROM (SELECT d.event_id,
                         CASE WHEN bool_and(d.status = 'delivered') THEN 'delivered'
                              WHEN bool_or(d.status = 'dead') THEN 'dead'
                              WHEN bool_or(d.status = 'failed') THEN 'failed'
                              WHEN bool_or(d.status = 'pending') THEN 'pending'
                              ELSE NULL END AS status
                  FROM deliveries d WHERE d.event_id = ANY (:eventIds::uuid[])
                  GROUP BY d.event_id) summary
            WHERE e.id = summary.event_id
              AND e.id = ANY (:eventIds::uuid[])
              AND summary.status IS NOT NULL
              AND e.status <> 'acknowledged'
              AND e.status <> summary.status
            """;

    // Once per run of failures, however many deliveries succeed at once: the one that ends it says so.
    private static final String ENDPOINT_RECOVERED = """
            UPDATE endpoints SET failing_since = NULL WHERE id = :id AND failing_since IS NOT NULL
            RETURNING organization_id, url
            """;

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
            RETURNING organization_id, url, disabled_reason, NOT enabled AND disabled_at = :now AS disabled_now
            """;

    private static final String ENDPOINT_GONE = """
            UPDATE endpoints
            SET enabled = false, disabled_at = :now, updated_at = :now,
                disabled_reason = 'the receiver answered 410 Gone'
            WHERE id = :id AND enabled
            RETURNING organization_id, url, disabled_reason
            """;

    /** One attempt to store; equal only to itself (each has its own id). */
    private record Attempt(UUID attemptId, DeliveryTarget target, AttemptOutcome outcome, String status, Instant notBefore,
                           Instant attemptedAt) {
    }

    /** A delivery: an event to one of its endpoints. */
    private record Key(UUID eventId, UUID endpointId) {
    }

    private static final long CALL_BYTES = 256;

    private static final Logger log = LoggerFactory.getLogger(DeliveryRepository.class);

    private final DatabaseClient db;
    private final DatabaseClient perDelivery;
    private final SecretCipher cipher;
    private final JsonMapper json;
    private final ThrottledLog undecryptable = new ThrottledLog(log, Duration.ofSeconds(10));
    private final Coalescer<Key, DeliveryTarget> owed;
    private final Coalescer<Attempt, Boolean> attempts;
    private final Coalescer<UUID, Boolean> eventStatuses;

    DeliveryRepository(DatabaseClient db, DeliveryStatements perDelivery, SecretCipher cipher, WorkerProperties worker, JsonMapper json) {
        /*
         * 256 per statement, statements-at-once (1) statements at once per kind; at most 10 000 calls
         * wait per kind (a stalled database makes deliveries fail fast with StorageBusy, which closes the
         * DatabaseGate, instead of piling up). Queued bytes are counted roughly: what a call holds beyond
         * what its delivery in flight holds anyway. One statement at a time per kind: with four, the 16
         * deliveries in flight to an endpoint went to PostgreSQL one to three per statement, and
         * PostgreSQL spent 1.2-1.9 ms of CPU per webhook planning and committing them (issue 17).
         */
        Coalescer.Limits limits = new Coalescer.Limits(256, worker.statementsAtOnce(), 10_000, 64L * 1024 * 1024);
        this.db = db;
        this.perDelivery = perDelivery.client();
        this.cipher = cipher;
        this.json = json;
        // Concurrent deliveries share statements (and commits): reading what is owed, storing
        // attempts, refreshing event statuses. A batch fails as a whole only when the database is down.
        this.owed = new Coalescer<>(this::owedBatch, null, key -> 1, key -> CALL_BYTES,
                StorageFailures::isStorageFailure, limits, () -> new StorageBusy("delivery lookups"));
        this.attempts = new Coalescer<>(this::recordBatch,
                attempt -> List.of(new Key(attempt.target().event().id(), attempt.target().endpointId())),
                attempt -> 1,
                attempt -> CALL_BYTES + (attempt.outcome().responseExcerpt() == null ? 0 : attempt.outcome().responseExcerpt().length()),
                StorageFailures::isStorageFailure, limits, () -> new StorageBusy("delivery outcomes"));
        this.eventStatuses = new Coalescer<>(this::refreshBatch, null, eventId -> 1, eventId -> CALL_BYTES,
                StorageFailures::isStorageFailure, limits, () -> new StorageBusy("event statuses"));
    }

    /** The delivery of the event to the endpoint, with what is needed to make it; empty when it is no longer owed. */
    public Mono<DeliveryTarget> owed(UUID eventId, UUID endpointId) {
        return owed.submit(new Key(eventId, endpointId));
    }

    private Mono<Map<Key, DeliveryTarget>> owedBatch(List<Key> keys) {
        Instant now = Timestamps.now();
        List<Key> distinct = keys.stream().distinct().toList();
        return perDelivery.sql(OWED)
                .bind("eventIds", distinct.stream().map(Key::eventId).toArray(UUID[]::new))
                .bind("endpointIds", distinct.stream().map(Key::endpointId).toArray(UUID[]::new))
                .map(row -> {
                    EventData event = new EventData(
                            row.get("id", UUID.class),
                            row.get("organization_id", UUID.class),
                            row.get("event_type", String.class),
                            row.get("source", String.class),
                            row.get("payload", Json.class).asString(),
                            row.get("metadata", Json.class).asString(),
                            row.get("created_at", Instant.class));
                    UUID endpointId = row.get("endpoint_id", UUID.class);
                    return new DeliveryTarget(event, endpointId, row.get("url", String.class),
                            secrets(endpointId, row.get("secret", String.class), row.get("previous_secret", String.class),
                                    row.get("previous_secret_expires_at", Instant.class), now), row.get("attempts", Integer.class),
                            row.get("schedule_from", Integer.class), row.get("enabled", Boolean.class),
                            row.get("disabled_reason", String.class), row.get("next_attempt_at", Instant.class),
                            row.get("failing_since", Instant.class), headers(endpointId, row.get("headers", String.class)),
                            schedule(row.get("retry_schedule_ms", Long[].class)));
                })
                .all()
                .collectMap(target -> new Key(target.event().id(), target.endpointId()));
    }

    /**
     * The endpoint's signing secrets, decrypted: the current one, then the previous one while it is
     * valid. Empty when the current one cannot be decrypted (its key is missing from
     * TRIGGERS_ENCRYPTION_KEYS): the delivery then fails without a call, and the rest of the batch
     * goes on.
     */
    private List<String> secrets(UUID endpointId, String current, String previous, Instant previousExpires, Instant now) {
        try {
            String opened = cipher.open(current, endpointId);
            if (previous == null || previousExpires == null || !previousExpires.isAfter(now)) {
                return List.of(opened);
            }
            try {
                return List.of(opened, cipher.open(previous, endpointId));
            } catch (UndecryptableSecret e) {
                undecryptable.warn("endpoint {}: previous signing secret not used: {}", endpointId, e.getMessage());
                return List.of(opened);
            }
        } catch (UndecryptableSecret e) {
            undecryptable.warn("endpoint {}: cannot sign: {}", endpointId, e.getMessage());
            return List.of();
        }
    }

    /**
     * The endpoint's static headers, decrypted. When they cannot be decrypted (their key is missing
     * from TRIGGERS_ENCRYPTION_KEYS) the delivery goes without them, and that is logged.
     */
    private Map<String, String> headers(UUID endpointId, String sealed) {
        if (sealed == null) {
            return Map.of();
        }
        try {
            return json.readValue(cipher.open(sealed, endpointId), HEADERS);
        } catch (UndecryptableSecret e) {
            undecryptable.warn("endpoint {}: its headers are not sent: {}", endpointId, e.getMessage());
            return Map.of();
        }
    }

    private static final TypeReference<Map<String, String>> HEADERS = new TypeReference<>() {
    };

    private static List<Duration> schedule(Long[] millis) {
        return millis == null ? null : Arrays.stream(millis).map(Duration::ofMillis).toList();
    }

    /** Stores an attempt; {@code status} is the delivery's new status (delivered, failed or dead). */
    public Mono<Void> recordAttempt(DeliveryTarget target, AttemptOutcome outcome, String status, Instant notBefore, Instant attemptedAt) {
        return attempts.submit(new Attempt(UuidV7.next(), target, outcome, status, notBefore, attemptedAt)).then();
    }

    private Mono<Map<Attempt, Boolean>> recordBatch(List<Attempt> batch) {
        // One order for every batch, so two batches lock delivery rows in the same order.
        List<Attempt> sorted = new ArrayList<>(batch);
        sorted.sort(Comparator.comparing((Attempt a) -> a.target().event().id()).thenComparing(a -> a.target().endpointId()));
        return perDelivery.sql(RECORD_ATTEMPTS)
                .bind("eventIds", sorted.stream().map(a -> a.target().event().id()).toArray(UUID[]::new))
                .bind("endpointIds", sorted.stream().map(a -> a.target().endpointId()).toArray(UUID[]::new))
                .bind("statuses", sorted.stream().map(Attempt::status).toArray(String[]::new))
                .bind("statusCodes", sorted.stream().map(a -> a.outcome().statusCode()).toArray(Integer[]::new))
                .bind("errors", sorted.stream().map(a -> a.outcome().error()).toArray(String[]::new))
                .bind("lastErrors", sorted.stream().map(a -> lastError(a.outcome())).toArray(String[]::new))
                .bind("notBefores", sorted.stream().map(a -> a.notBefore() == null ? null : a.notBefore().toString()).toArray(String[]::new))
                .bind("attemptIds", sorted.stream().map(Attempt::attemptId).toArray(UUID[]::new))
                .bind("durations", sorted.stream().map(a -> (int) Math.min(a.outcome().durationMs(), Integer.MAX_VALUE)).toArray(Integer[]::new))
                .bind("excerpts", sorted.stream().map(a -> a.outcome().responseExcerpt()).toArray(String[]::new))
                .bind("attemptedAts", sorted.stream().map(a -> a.attemptedAt().toString()).toArray(String[]::new))
                .then()
                .thenReturn(Map.of());
    }

    /** What the delivery shows as its last error: the failure, or the HTTP status a receiver refused with. */
    public static String lastError(AttemptOutcome outcome) {
        if (outcome.delivered()) {
            return null;
        }
        return outcome.error() != null ? outcome.error() : "HTTP " + outcome.statusCode();
    }

    /** Marks the delivery dead; emits whether it was not dead (nor delivered) before. */
    public Mono<Boolean> markDead(DeliveryTarget target, String reason, Instant now) {
        return db.sql(MARK_DEAD)
                .bind("reason", Parameter.fromOrEmpty(reason, String.class))
                .bind("now", now)
                .bind("eventId", target.event().id())
                .bind("endpointId", target.endpointId())
                .fetch().rowsUpdated()
                .map(updated -> updated > 0);
    }

    /** Pauses the delivery if its endpoint is still disabled by hand; emits whether it did. */
    public Mono<Boolean> markPaused(DeliveryTarget target, Instant now) {
        return db.sql(MARK_PAUSED)
                .bind("now", now)
                .bind("eventId", target.event().id())
                .bind("endpointId", target.endpointId())
                .fetch().rowsUpdated()
                .map(updated -> updated > 0);
    }

    /** Sets the event's status from its deliveries'. */
    public Mono<Void> refreshEventStatus(UUID eventId) {
        return eventStatuses.submit(eventId).then();
    }

    private Mono<Map<UUID, Boolean>> refreshBatch(List<UUID> eventIds) {
        return perDelivery.sql(REFRESH_EVENT_STATUSES)
                .bind("eventIds", eventIds.stream().distinct().sorted().toArray(UUID[]::new))
                .bind("now", Timestamps.now())
                .then()
                .thenReturn(Map.of());
    }

    /** An endpoint whose health changed: the service disabled it, or it recovered. */
    public record EndpointChange(UUID organizationId, UUID endpointId, String url, String reason) {
    }

    /** Ends the endpoint's run of failures; emits the change when this call ended it (empty otherwise). */
    public Mono<EndpointChange> endpointRecovered(UUID endpointId) {
        return db.sql(ENDPOINT_RECOVERED).bind("id", endpointId)
                .map(row -> new EndpointChange(row.get("organization_id", UUID.class), endpointId, row.get("url", String.class), null))
                .one();
    }

    /** Starts or continues the endpoint's run of failures; emits the change when this call disabled it (empty otherwise). */
    public Mono<EndpointChange> endpointFailed(UUID endpointId, Instant now, Duration disableAfter) {
        return db.sql(ENDPOINT_FAILED)
                .bind("now", now)
                .bind("disableBefore", now.minus(disableAfter))
                .bind("id", endpointId)
                .map(row -> Optional.ofNullable(Boolean.TRUE.equals(row.get("disabled_now", Boolean.class))
                        ? new EndpointChange(row.get("organization_id", UUID.class), endpointId, row.get("url", String.class),
                                row.get("disabled_reason", String.class))
                        : null))
                .one()
                .flatMap(Mono::justOrEmpty);
    }

    /** Disables the endpoint (410 Gone); emits the change when this call disabled it (empty otherwise). */
    public Mono<EndpointChange> endpointGone(UUID endpointId, Instant now) {
        return db.sql(ENDPOINT_GONE).bind("now", now).bind("id", endpointId)
                .map(row -> new EndpointChange(row.get("organization_id", UUID.class), endpointId, row.get("url", String.class),
                        row.get("disabled_reason", String.class)))
                .one();
    }
}
