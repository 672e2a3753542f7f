package io.triggers.api.events;

import io.r2dbc.postgresql.codec.Json;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Events and their deliveries in PostgreSQL. */
@Component
public final class EventRepository {

    /*
     * The event and one delivery per matching, enabled endpoint, in one statement (so one round
     * trip and atomic without an explicit transaction). An endpoint matches when its event_types
     * is empty, names the type, or holds a pattern ending in '*' whose prefix the type starts with.
     */
    private static final String INSERT_WITH_DELIVERIES = """
            WITH event AS (
                INSERT INTO events (id, organization_id, event_type, source, payload, metadata, status, request_id, created_at, updated_at)
                VALUES (:id, :organizationId, :eventType, :source, :payload, :metadata, 'pending', :requestId, :createdAt, :createdAt)
                RETURNING id, organization_id, event_type, created_at
            )
            INSERT INTO deliveries (event_id, endpoint_id, organization_id, status, created_at, updated_at)
            SELECT event.id, endpoint.id, event.organization_id, 'pending', event.created_at, event.created_at
            FROM event
            JOIN endpoints endpoint ON endpoint.organization_id = event.organization_id AND endpoint.enabled
            WHERE cardinality(endpoint.event_types) = 0
               OR event.event_type = ANY (endpoint.event_types)
               OR EXISTS (SELECT 1 FROM unnest(endpoint.event_types) AS filter(pattern)
                          WHERE right(filter.pattern, 1) = '*'
                            AND starts_with(event.event_type, left(filter.pattern, -1)))
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

    /** A new event ready to store. */
    public record NewEvent(UUID id, UUID organizationId, String eventType, String source, String payloadJson,
                           String metadataJson, String requestId, Instant createdAt) {
    }

    /** A stored event as {@code GET /v1/events/{id}} shows it. */
    public record StoredEvent(UUID eventId, String eventType, String source, String payloadJson, String metadataJson,
                              String status, Instant createdAt, Instant acknowledgedAt, Instant deliveredAt) {
    }

    public record StoredDelivery(UUID endpointId, String status, int attempts, Instant lastAttemptAt,
                                 Instant nextAttemptAt, Integer lastStatusCode) {
    }

    private final DatabaseClient db;

    public EventRepository(DatabaseClient db) {
        this.db = db;
    }

    /** Stores the event with its deliveries; emits how many deliveries (matching endpoints) it got. */
    public Mono<Long> insert(NewEvent event) {
        return db.sql(INSERT_WITH_DELIVERIES)
                .bind("id", event.id())
                .bind("organizationId", event.organizationId())
                .bind("eventType", event.eventType())
                .bind("source", Parameter.fromOrEmpty(event.source(), String.class))
                .bind("payload", Json.of(event.payloadJson()))
                .bind("metadata", Json.of(event.metadataJson()))
                .bind("requestId", Parameter.fromOrEmpty(event.requestId(), String.class))
                .bind("createdAt", event.createdAt())
                .fetch()
                .rowsUpdated();
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
