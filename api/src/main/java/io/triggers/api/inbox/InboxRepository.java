package io.triggers.api.inbox;

import io.triggers.shared.config.RetentionProperties;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** The inbox query: a keyset scan of the organization's undelivered, unacknowledged events. */
@Component
final class InboxRepository {

    /*
     * The service's own events (type triggers.*: endpoint tests, operational events) are for
     * endpoints, never listed. The literal status list matches the partial indexes' predicate, so the planner can use them
     * (by (organization_id, xact_id, created_at, id), or with event_type first when it is filtered on).
     *
     * Pages follow commit order: the inserting transaction's id, then created_at and id among the rows
     * one statement stored. An ascending page reaches only rows whose transaction is older than every
     * transaction still running (the xmin of the query's own snapshot): those have all committed or
     * never will, so no row can later commit behind the cursor handed out. When nothing is being
     * written the horizon is past every committed row, so a new event is listed at once.
     */
    private static final String PAGE = """
            SELECT id, event_type, source, payload, metadata, status, created_at, acknowledged_at, delivered_at,
                   xact_id::text AS position_xact,
                   created_at + COALESCE((SELECT retention_days FROM organizations WHERE id = :organizationId) * interval '1 day',
                                         :undeliveredSeconds * interval '1 second') AS expires_at
            FROM events
            WHERE organization_id = :organizationId
              AND status IN ('pending', 'failed', 'dead')
              AND NOT starts_with(event_type, 'triggers.')
              AND (:status::text IS NULL OR status = :status::text)
              AND (:eventType::text IS NULL OR event_type = :eventType::text)
              AND (:source::text IS NULL OR source = :source::text)
              AND (:createdAfter::timestamptz IS NULL OR created_at > :createdAfter::timestamptz)
              AND (:createdBefore::timestamptz IS NULL OR created_at < :createdBefore::timestamptz)
              AND (:cursorXact::text IS NULL
                   OR (xact_id, created_at, id) %s (:cursorXact::text::xid8, :cursorAt::timestamptz, :cursorId::uuid))
              %s
            ORDER BY xact_id %s, created_at %s, id %s
            LIMIT :limit
            """;
    private static final String ASCENDING = PAGE.formatted(">",
            "AND xact_id < pg_snapshot_xmin(pg_current_snapshot())", "ASC", "ASC", "ASC");
    private static final String DESCENDING = PAGE.formatted("<", "", "DESC", "DESC", "DESC");


    private final DatabaseClient db;
    private final RetentionProperties retention;

    InboxRepository(DatabaseClient db, RetentionProperties retention) {
        this.db = db;
        this.retention = retention;
    }

    Mono<List<ListedEvent>> page(UUID organizationId, InboxQuery query, InboxCursor after, int limit) {
        return db.sql(query.descending() ? DESCENDING : ASCENDING)
                .bind("organizationId", organizationId)
                .bind("status", Parameter.fromOrEmpty(query.status(), String.class))
                .bind("eventType", Parameter.fromOrEmpty(query.eventType(), String.class))
                .bind("source", Parameter.fromOrEmpty(query.source(), String.class))
                .bind("createdAfter", Parameter.fromOrEmpty(query.createdAfter(), Instant.class))
                .bind("createdBefore", Parameter.fromOrEmpty(query.createdBefore(), Instant.class))
                .bind("cursorXact", Parameter.fromOrEmpty(after == null ? null : Long.toUnsignedString(after.xactId()), String.class))
                .bind("cursorAt", Parameter.fromOrEmpty(after == null ? null : after.createdAt(), Instant.class))
                .bind("cursorId", Parameter.fromOrEmpty(after == null ? null : after.eventId(), UUID.class))
                .bind("limit", limit)
                .bind("undeliveredSeconds", retention.retentionUndelivered().toSeconds())
                .map(ListedEvent::of)
                .all()
                .collectList();
    }
}
