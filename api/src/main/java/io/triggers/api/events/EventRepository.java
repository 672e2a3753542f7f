package io.triggers.api.events;

import io.r2dbc.postgresql.codec.Json;
import io.triggers.shared.endpoints.EndpointMatch;
import io.triggers.shared.queue.QueueEntry;
import java.time.Instant;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Events and their deliveries in PostgreSQL. */
@Component
public final class EventRepository {

    /*
     * Any number of events in one statement (one round trip, atomic without an explicit
     * transaction): each event's idempotency key is claimed, each event whose key was claimed (or
     * that has none) is inserted, and so is one delivery per matching, enabled endpoint. An
     * endpoint matches when its event_types is empty, names the type, or holds a pattern ending in
     * '*' whose prefix the type starts with, and its filter (compiled to a jsonpath predicate, see
     * EndpointFilter) holds for the event's envelope. A key older than 24 hours is expired and taken over.
     * The primary key of idempotency_keys is what makes two concurrent requests with one key
     * create one event: the second waits for the first's commit and then claims nothing.
     */
    private static final String INSERT_ALL = """
            WITH input AS (
                SELECT * FROM unnest(:ids::uuid[], :organizationIds::uuid[], :eventTypes::text[], :sources::text[],
                                     :payloads::text[], :metadata::text[], :keys::text[], :fingerprints::text[],
                                     :requestIds::text[], :createdAts::text[], :traceParents::text[])
                    AS t(id, organization_id, event_type, source, payload, metadata, idempotency_key, fingerprint,
                         request_id, created_at, trace_parent)
            ),
            claimed AS (
                INSERT INTO idempotency_keys (organization_id, idempotency_key, event_id, request_fingerprint, created_at)
                SELECT organization_id, idempotency_key, id, decode(fingerprint, 'hex'), created_at::timestamptz
                FROM input WHERE idempotency_key IS NOT NULL
                ON CONFLICT (organization_id, idempotency_key) DO UPDATE
                    SET event_id = EXCLUDED.event_id,
                        request_fingerprint = EXCLUDED.request_fingerprint,
                        created_at = EXCLUDED.created_at
                    WHERE idempotency_keys.created_at < EXCLUDED.created_at - interval '24 hours'
                RETURNING event_id
            ),
            event AS (
                INSERT INTO events (id, organization_id, event_type, source, payload, metadata, status, request_id,
                                    created_at, updated_at, trace_parent)
                SELECT id, organization_id, event_type, source, payload::jsonb, metadata::jsonb, 'pending', request_id,
                       created_at::timestamptz, created_at::timestamptz, trace_parent
                FROM input
                WHERE idempotency_key IS NULL OR id IN (SELECT event_id FROM claimed)
                RETURNING id, organization_id, event_type, source, payload, metadata, created_at
            ),
            delivery AS (
                INSERT INTO deliveries (event_id, endpoint_id, organization_id, status, created_at, updated_at)
                SELECT event.id, endpoint.id, event.organization_id, 'pending', event.created_at, event.created_at
                FROM event
                JOIN endpoints endpoint ON endpoint.organization_id = event.organization_id AND endpoint.enabled
                WHERE """ + EndpointMatch.CONDITION + """
                RETURNING event_id, endpoint_id
            )
            SELECT event.id, event.organization_id,
                   array(SELECT d.endpoint_id::text || ',' || coalesce(ep.rate_limit_per_second::text, '') || ',' || ep.max_in_flight
                         FROM delivery d JOIN endpoints ep ON ep.id = d.endpoint_id
                         WHERE d.event_id = event.id) AS targets
            FROM event
            """;

    // The deliveries still owed of the given events, with their endpoints' limits, to queue them (again).
    // "status <> ALL (delivered, dead)", not "status IN (pending, failed)": the latter matches the
    // predicate of the reconciler's partial index deliveries_owed_keyset_idx, and without fresh
    // statistics (autovacuum off, or a table that just grew) PostgreSQL takes that index for a
    // small one and scans all of it for each event instead of using the primary key. The ids bound
    // on events too: joined only through deliveries, PostgreSQL without fresh statistics hashed the
    // whole events table per call (issue 17).
    private static final String OWED = """
            SELECT d.event_id, d.endpoint_id, d.organization_id, e.request_id, e.trace_parent, ep.rate_limit_per_second, ep.max_in_flight
            FROM deliveries d
            JOIN events e ON e.id = d.event_id
            JOIN endpoints ep ON ep.id = d.endpoint_id
            WHERE d.event_id = ANY (:eventIds::uuid[])
              AND e.id = ANY (:eventIds::uuid[])
              AND d.status <> ALL ('{delivered,dead,paused}')
              AND e.status <> 'acknowledged'
            """;

    private static final String FIND_BY_KEYS = """
            SELECT k.idempotency_key, encode(k.request_fingerprint, 'hex') AS fingerprint,
                   e.id, e.event_type, e.source, e.request_id, e.created_at
            FROM idempotency_keys k
            JOIN events e ON e.id = k.event_id
            WHERE k.organization_id = :organizationId AND k.idempotency_key = ANY (:keys::text[])
            """;

    private static final String FIND_EVENT = """
            SELECT id, event_type, source, payload, metadata, status, created_at, acknowledged_at, delivered_at
            FROM events WHERE id = :id AND organization_id = :organizationId
            """;

    private static final String FIND_DELIVERIES = """
            SELECT endpoint_id, status, attempts, last_attempt_at, next_attempt_at, last_status_code
            FROM deliveries WHERE event_id = :id AND organization_id = :organizationId
            ORDER BY created_at, endpoint_id
            """;

    /**
     * A new event ready to store.
     *
     * @param fingerprint SHA-256 of what was submitted, compared when its idempotency key is used again
     * @param traceParent the ingest request's trace context (a W3C traceparent naming its span)
     */
    public record NewEvent(UUID id, UUID organizationId, String eventType, String source, String payloadJson,
                           String metadataJson, String idempotencyKey, byte[] fingerprint, String requestId,
                           Instant createdAt, String traceParent) {
    }

    /** What a used idempotency key points at: the original request's fingerprint and response. */
    public record KeyedEvent(String idempotencyKey, byte[] fingerprint, UUID eventId, String eventType, String source,
                             String requestId, Instant createdAt) {
    }

    /** A stored event as {@code GET /v1/events/{id}} shows it. */
    public record StoredEvent(UUID eventId, String eventType, String source, String payloadJson, String metadataJson,
                              String status, Instant createdAt, Instant acknowledgedAt, Instant deliveredAt) {
    }

    public record StoredDelivery(UUID endpointId, String status, int attempts, Instant lastAttemptAt,
                                 Instant nextAttemptAt, Integer lastStatusCode) {
    }

    // Acknowledging ends delivery; repeating it keeps the first acknowledged_at.
    private static final String ACKNOWLEDGE = """
            UPDATE events
            SET status = 'acknowledged', acknowledged_at = coalesce(acknowledged_at, :now), updated_at = :now
            WHERE organization_id = :organizationId AND id = ANY (:ids::uuid[])
            RETURNING id, acknowledged_at
            """;

    // Its deliveries, attempts and idempotency key go with it (ON DELETE CASCADE).
    private static final String DELETE = "DELETE FROM events WHERE id = :id AND organization_id = :organizationId";

    /** An acknowledged event. */
    public record Acknowledged(UUID eventId, Instant acknowledgedAt) {
    }

    private final DatabaseClient db;

    public EventRepository(DatabaseClient db) {
        this.db = db;
    }

    /**
     * Stores the events (of any organizations) with their deliveries, in one statement. Emits, for
     * each event actually inserted, its id and how many deliveries it got; an event whose
     * idempotency key was already taken is absent from the map. No two events may carry one
     * organization's idempotency key (see {@link GroupCommit}).
     */
    public Mono<Map<UUID, List<QueueEntry>>> insertAll(List<NewEvent> events) {
        HexFormat hex = HexFormat.of();
        return db.sql(INSERT_ALL)
                .bind("ids", events.stream().map(NewEvent::id).toArray(UUID[]::new))
                .bind("organizationIds", events.stream().map(NewEvent::organizationId).toArray(UUID[]::new))
                .bind("eventTypes", events.stream().map(NewEvent::eventType).toArray(String[]::new))
                .bind("sources", events.stream().map(NewEvent::source).toArray(String[]::new))
                .bind("payloads", events.stream().map(NewEvent::payloadJson).toArray(String[]::new))
                .bind("metadata", events.stream().map(NewEvent::metadataJson).toArray(String[]::new))
                .bind("keys", events.stream().map(NewEvent::idempotencyKey).toArray(String[]::new))
                .bind("fingerprints", events.stream().map(e -> hex.formatHex(e.fingerprint())).toArray(String[]::new))
                .bind("requestIds", events.stream().map(NewEvent::requestId).toArray(String[]::new))
                .bind("createdAts", events.stream().map(e -> e.createdAt().toString()).toArray(String[]::new))
                .bind("traceParents", events.stream().map(NewEvent::traceParent).toArray(String[]::new))
                .map(row -> {
                    UUID eventId = row.get("id", UUID.class);
                    UUID organizationId = row.get("organization_id", UUID.class);
                    String[] targets = row.get("targets", String[].class);
                    List<QueueEntry> entries = new ArrayList<>(targets == null ? 0 : targets.length);
                    for (String target : targets == null ? new String[0] : targets) {
                        String[] parts = target.split(",", -1);
                        entries.add(new QueueEntry(eventId, UUID.fromString(parts[0]), organizationId, null, null,
                                parts[1].isEmpty() ? null : Integer.valueOf(parts[1]), Integer.parseInt(parts[2])));
                    }
                    return Map.entry(eventId, entries);
                })
                .all()
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    /** The deliveries still owed of the given events, as queue entries carrying {@code requestId} (or the event's own). */
    public Mono<List<QueueEntry>> owed(List<UUID> eventIds, String requestId) {
        if (eventIds.isEmpty()) {
            return Mono.just(List.of());
        }
        return db.sql(OWED)
                .bind("eventIds", eventIds.toArray(UUID[]::new))
                .map(row -> new QueueEntry(row.get("event_id", UUID.class), row.get("endpoint_id", UUID.class),
                        row.get("organization_id", UUID.class), requestId != null ? requestId : row.get("request_id", String.class),
                        row.get("trace_parent", String.class), row.get("rate_limit_per_second", Integer.class), row.get("max_in_flight", Integer.class)))
                .all()
                .collectList();
    }

    /** The events the given idempotency keys already point at, by key. */
    public Mono<Map<String, KeyedEvent>> findByIdempotencyKeys(UUID organizationId, List<String> keys) {
        HexFormat hex = HexFormat.of();
        return db.sql(FIND_BY_KEYS)
                .bind("organizationId", organizationId)
                .bind("keys", keys.toArray(String[]::new))
                .map(row -> new KeyedEvent(
                        row.get("idempotency_key", String.class),
                        hex.parseHex(row.get("fingerprint", String.class)),
                        row.get("id", UUID.class),
                        row.get("event_type", String.class),
                        row.get("source", String.class),
                        row.get("request_id", String.class),
                        row.get("created_at", Instant.class)))
                .all()
                .collectMap(KeyedEvent::idempotencyKey);
    }

    /** The organization's event, or empty (another organization's event is as absent as a missing one). */
    public Mono<StoredEvent> find(UUID organizationId, UUID id) {
        return db.sql(FIND_EVENT)
                .bind("id", id)
                .bind("organizationId", organizationId)
                .map(row -> new StoredEvent(
                        row.get("id", UUID.class),
                        row.get("event_type", String.class),
                        row.get("source", String.class),
                        row.get("payload", Json.class).asString(),
                        row.get("metadata", Json.class).asString(),
                        row.get("status", String.class),
                        row.get("created_at", Instant.class),
                        row.get("acknowledged_at", Instant.class),
                        row.get("delivered_at", Instant.class)))
                .one();
    }

    /** Acknowledges the organization's events among {@code ids}; the others are not found. */
    public Mono<List<Acknowledged>> acknowledge(UUID organizationId, List<UUID> ids, Instant now) {
        return db.sql(ACKNOWLEDGE)
                .bind("now", now)
                .bind("organizationId", organizationId)
                .bind("ids", ids.toArray(UUID[]::new))
                .map(row -> new Acknowledged(row.get("id", UUID.class), row.get("acknowledged_at", Instant.class)))
                .all()
                .collectList();
    }

    /** Emits whether the organization's event existed. */
    public Mono<Boolean> delete(UUID organizationId, UUID id) {
        return db.sql(DELETE).bind("id", id).bind("organizationId", organizationId).fetch().rowsUpdated().map(rows -> rows > 0);
    }

    public Mono<List<StoredDelivery>> deliveries(UUID organizationId, UUID eventId) {
        return db.sql(FIND_DELIVERIES)
                .bind("id", eventId)
                .bind("organizationId", organizationId)
                .map(row -> new StoredDelivery(
                        row.get("endpoint_id", UUID.class),
                        row.get("status", String.class),
                        row.get("attempts", Integer.class),
                        row.get("last_attempt_at", Instant.class),
                        row.get("next_attempt_at", Instant.class),
                        row.get("last_status_code", Integer.class)))
                .all()
                .collectList();
    }
}
