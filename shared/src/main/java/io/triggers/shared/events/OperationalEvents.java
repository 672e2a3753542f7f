package io.triggers.shared.events;

import io.triggers.shared.endpoints.EndpointMatch;
import io.triggers.shared.ids.UuidV7;
import io.triggers.shared.queue.QueueEntry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;

/**
 * The service's own events about an organization's delivery health ({@code triggers.endpoint.*},
 * {@code triggers.delivery.dead}), stored as events of the organization and delivered through the
 * same pipeline. One statement stores the event and its deliveries, and only when some enabled
 * endpoint asks for the type ({@link EndpointMatch#OPERATIONAL}): an organization that subscribes
 * to none costs one index lookup of its endpoints and no row. The caller queues what it returns.
 *
 * <p>Never a loop: callers emit nothing about a delivery of an operational event
 * ({@link #isOperational}), so an operational event never causes another.
 */
public final class OperationalEvents {

    public static final String PREFIX = "triggers.";
    public static final String ENDPOINT_DISABLED = "triggers.endpoint.disabled";
    public static final String ENDPOINT_ENABLED = "triggers.endpoint.enabled";
    public static final String ENDPOINT_RECOVERED = "triggers.endpoint.recovered";
    public static final String DELIVERY_DEAD = "triggers.delivery.dead";
    /** The {@code source} of every operational event. */
    public static final String SOURCE = "triggers";

    private static final String EMIT = """
            WITH event AS (
                SELECT :eventId::uuid AS id, :organizationId::uuid AS organization_id, :eventType::text AS event_type,
                       :source::text AS source, jsonb_object(:keys::text[], :values::text[]) AS payload, '{}'::jsonb AS metadata
            ), subscriber AS (
                SELECT endpoint.id, endpoint.rate_limit_per_second, endpoint.max_in_flight
                FROM event
                JOIN endpoints endpoint ON endpoint.organization_id = event.organization_id AND endpoint.enabled
                WHERE """ + EndpointMatch.OPERATIONAL + """
            ), stored AS (
                INSERT INTO events (id, organization_id, event_type, source, payload, metadata, status, created_at, updated_at)
                SELECT id, organization_id, event_type, source, payload, metadata, 'pending', :now, :now
                FROM event
                WHERE EXISTS (SELECT 1 FROM subscriber)
                RETURNING id, organization_id
            ), delivery AS (
                INSERT INTO deliveries (event_id, endpoint_id, organization_id, status, created_at, updated_at)
                SELECT stored.id, subscriber.id, stored.organization_id, 'pending', :now, :now
                FROM stored, subscriber
                RETURNING endpoint_id
            )
            SELECT subscriber.id AS endpoint_id, subscriber.rate_limit_per_second, subscriber.max_in_flight
            FROM delivery JOIN subscriber ON subscriber.id = delivery.endpoint_id
            """;

    private final DatabaseClient db;

    public OperationalEvents(DatabaseClient db) {
        this.db = db;
    }

    /** Whether the type is one of the service's own (any case: producers may use none of them). */
    public static boolean isOperational(String eventType) {
        return eventType != null && eventType.regionMatches(true, 0, PREFIX, 0, PREFIX.length());
    }

    /**
     * Stores an operational event of the organization with a delivery to every endpoint that asks for
     * it; emits those deliveries, to be queued (none, and nothing stored, when no endpoint asks).
     *
     * @param data the event's {@code data}: names to texts (a null value is JSON null)
     */
    public Mono<List<QueueEntry>> emit(UUID organizationId, String eventType, Map<String, String> data, Instant now) {
        UUID eventId = UuidV7.next();
        return db.sql(EMIT)
                .bind("eventId", eventId)
                .bind("organizationId", organizationId)
                .bind("eventType", eventType)
                .bind("source", SOURCE)
                .bind("keys", data.keySet().toArray(String[]::new))
                .bind("values", data.values().toArray(String[]::new))
                .bind("now", now)
                .map(row -> new QueueEntry(eventId, row.get("endpoint_id", UUID.class), organizationId, null, null,
                        row.get("rate_limit_per_second", Integer.class), row.get("max_in_flight", Integer.class)))
                .all()
                .collectList();
    }
}
