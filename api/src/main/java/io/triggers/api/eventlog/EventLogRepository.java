package io.triggers.api.eventlog;

import io.triggers.api.inbox.InboxCursor;
import io.triggers.api.inbox.ListedEvent;
import io.triggers.shared.config.RetentionProperties;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The event-log query: a keyset scan of the organization's events of every status, in commit
 * order like the inbox (see {@code InboxRepository}), so an ascending listing followed to its end
 * never misses an event that commits while it is read.
 *
 * <p>The statement holds only the conditions a listing asks for, each with its own parameters,
 * rather than one text with {@code (:x IS NULL OR …)} for every filter: PostgreSQL plans a
 * prepared statement once for all parameter values after a few executions, and in that generic
 * plan an optional condition cannot bound an index scan (the keyset cursor became a filter over
 * every earlier row). The status goes in as a literal from the five known statuses, so a listing
 * of {@code pending}, {@code failed} or {@code dead} events can use the inbox's partial indexes.
 */
@Component
final class EventLogRepository {

    private static final Set<String> STATUSES = Set.of("pending", "delivered", "failed", "dead", "acknowledged");

    private final DatabaseClient db;
    private final RetentionProperties retention;

    EventLogRepository(DatabaseClient db, RetentionProperties retention) {
        this.db = db;
        this.retention = retention;
    }

    Mono<List<ListedEvent>> page(UUID organizationId, EventLogQuery query, InboxCursor after, int limit) {
        DatabaseClient.GenericExecuteSpec statement = db.sql(statement(query, after != null))
                .bind("organizationId", organizationId)
                .bind("limit", limit)
                .bind("deliveredSeconds", retention.retentionDelivered().toSeconds())
                .bind("undeliveredSeconds", retention.retentionUndelivered().toSeconds());
        if (query.eventType() != null) {
            statement = statement.bind("eventType", query.eventType());
        }
        if (query.source() != null) {
            statement = statement.bind("source", query.source());
        }
        if (query.endpointId() != null) {
            statement = statement.bind("endpointId", query.endpointId());
        }
        if (query.createdAfter() != null) {
            statement = statement.bind("createdAfter", query.createdAfter());
        }
        if (query.createdBefore() != null) {
            statement = statement.bind("createdBefore", query.createdBefore());
        }
        if (after != null) {
            statement = statement.bind("cursorXact", Long.toUnsignedString(after.xactId()))
                    .bind("cursorAt", after.createdAt())
                    .bind("cursorId", after.eventId());
        }
        return statement.map(ListedEvent::of)
                .all()
                .collectList();
    }


    /** The statement for the conditions the query has (at most 2^7 texts, each planned once per connection). */
    static String statement(EventLogQuery query, boolean hasCursor) {
        StringBuilder sql = new StringBuilder("""
                SELECT id, event_type, source, payload, metadata, status, created_at, acknowledged_at, delivered_at,
                       xact_id::text AS position_xact,
                       CASE status
                           WHEN 'delivered' THEN delivered_at + :deliveredSeconds * interval '1 second'
                           WHEN 'acknowledged' THEN acknowledged_at + :deliveredSeconds * interval '1 second'
                           ELSE created_at + COALESCE((SELECT retention_days FROM organizations WHERE id = :organizationId) * interval '1 day',
                                                      :undeliveredSeconds * interval '1 second')
                       END AS expires_at
                FROM events e
                WHERE organization_id = :organizationId
                """);
        if (query.status() != null) {
            if (!STATUSES.contains(query.status())) {
                throw new IllegalArgumentException("unknown status");
            }
            sql.append("  AND status = '").append(query.status()).append("'\n");
        }
        if (query.eventType() != null) {
            sql.append("  AND event_type = :eventType\n");
        }
        if (query.source() != null) {
            sql.append("  AND source = :source\n");
        }
        if (query.endpointId() != null) {
            sql.append("  AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.endpoint_id = :endpointId)\n");
        }
        if (query.createdAfter() != null) {
            sql.append("  AND created_at > :createdAfter\n");
        }
        if (query.createdBefore() != null) {
            sql.append("  AND created_at < :createdBefore\n");
        }
        String direction = query.descending() ? "DESC" : "ASC";
        if (hasCursor) {
            sql.append("  AND (xact_id, created_at, id) ").append(query.descending() ? "<" : ">")
                    .append(" (:cursorXact::text::xid8, :cursorAt::timestamptz, :cursorId::uuid)\n");
        }
        if (!query.descending()) {
            // Only rows of transactions older than every running one: nothing can later commit behind the cursor.
            sql.append("  AND xact_id < pg_snapshot_xmin(pg_current_snapshot())\n");
        }
        sql.append("ORDER BY xact_id ").append(direction).append(", created_at ").append(direction)
                .append(", id ").append(direction).append("\nLIMIT :limit");
        return sql.toString();
    }
}
