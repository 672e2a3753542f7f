package io.triggers.api.deliveries;

import io.triggers.api.events.EventQueue;
import io.triggers.shared.storage.StorageFailures;
import io.triggers.shared.time.Timestamps;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/endpoints/{id}/recover}: the endpoint's failed and dead deliveries of events
 * created in a window are made pending again, their retry schedules started over, and queued.
 * However large the window, each statement takes one page ({@value #PAGE} deliveries, in
 * {@code (created_at, event_id)} order on {@code deliveries_endpoint_open_idx}), and the pages run
 * in the background after the call has answered.
 *
 * <p>Never twice: a page changes only deliveries still failed or dead when it locks them, so two
 * recoveries of one window (or a recovery and a replay) revive each delivery once, and queueing
 * leaves alone a delivery that is queued already. A failed delivery already waiting in the queue
 * for its next retry keeps its place; its schedule starts over after that attempt. If the api
 * stops in the middle, what is left stays failed or dead, and the same call again finishes it.
 */
@Component
public final class EndpointRecovery {

    static final int PAGE = 500;
    private static final Logger log = LoggerFactory.getLogger(EndpointRecovery.class);

    // Deliveries (not events) that were created in or after the window: a delivery is never older
    // than its event, and one created by a later replay still belongs to an event of the window.
    private static final String COUNT = """
            SELECT count(*) AS recovering
            FROM deliveries d JOIN events e ON e.id = d.event_id
            WHERE d.endpoint_id = :endpointId AND d.status IN ('failed', 'dead') AND d.created_at >= :since
              AND e.organization_id = :organizationId AND e.status <> 'acknowledged'
              AND e.created_at >= :since AND e.created_at < :until
            """;

    private static final String PAGE_STATEMENT = """
            WITH chosen AS (
                SELECT d.event_id, d.created_at FROM deliveries d
                WHERE d.endpoint_id = :endpointId AND d.status IN ('failed', 'dead') AND d.created_at >= :since
                  %s
                ORDER BY d.created_at, d.event_id
                LIMIT %d
            ), revived AS (
                UPDATE deliveries d
                SET status = 'pending', next_attempt_at = NULL, schedule_from = d.attempts, updated_at = :now
                FROM chosen, events e
                WHERE d.event_id = chosen.event_id AND d.endpoint_id = :endpointId AND d.status IN ('failed', 'dead')
                  AND e.id = d.event_id AND e.organization_id = :organizationId AND e.status <> 'acknowledged'
                  AND e.created_at >= :since AND e.created_at < :until
                RETURNING d.event_id
            ), pending AS (
                UPDATE events SET status = 'pending', updated_at = :now
                WHERE id IN (SELECT event_id FROM revived) AND status <> 'acknowledged'
            )
            SELECT chosen.created_at, chosen.event_id, revived.event_id IS NOT NULL AS revived
            FROM chosen LEFT JOIN revived ON revived.event_id = chosen.event_id
            ORDER BY chosen.created_at, chosen.event_id
            """;
    // One text for the first page and one for the others: an optional cursor would be a filter in a generic plan.
    private static final String FIRST_PAGE = PAGE_STATEMENT.formatted("", PAGE);
    private static final String NEXT_PAGE = PAGE_STATEMENT.formatted("AND (d.created_at, d.event_id) > (:afterAt, :afterId)", PAGE);

    /** Where a page ended, and the events it made pending. */
    record Page(Instant lastAt, UUID lastEventId, int scanned, List<UUID> revived) {
    }

    private final DatabaseClient db;
    private final EventQueue queue;

    EndpointRecovery(DatabaseClient db, EventQueue queue) {
        this.db = db;
        this.queue = queue;
    }

    /** How many deliveries a recovery of the window would revive now. */
    Mono<Long> count(UUID organizationId, UUID endpointId, Instant since, Instant until) {
        return db.sql(COUNT)
                .bind("endpointId", endpointId)
                .bind("organizationId", organizationId)
                .bind("since", since)
                .bind("until", until)
                .map(row -> row.get("recovering", Long.class))
                .one();
    }

    /**
     * Revives and queues the window's failed and dead deliveries page by page, in the background:
     * the returned value is only the start. Failures are logged; the call can be made again.
     */
    void start(UUID organizationId, UUID endpointId, Instant since, Instant until, String requestId) {
        pages(organizationId, endpointId, since, until, requestId)
                .subscribe(revived -> log.info("recovery of endpoint {} revived {} deliveries", endpointId, revived),
                        failure -> log.warn("recovery of endpoint {} stopped: {}; the same call again finishes it", endpointId,
                                failure.toString()));
    }

    /** Runs every page; emits how many deliveries were revived. */
    Mono<Long> pages(UUID organizationId, UUID endpointId, Instant since, Instant until, String requestId) {
        return page(organizationId, endpointId, since, until, null)
                .expand(page -> page.scanned() < PAGE ? Mono.empty() : page(organizationId, endpointId, since, until, page))
                .concatMap(page -> (page.revived().isEmpty() ? Mono.<Void>empty() : queue.enqueueOwed(page.revived(), requestId))
                        .thenReturn((long) page.revived().size()))
                .reduce(0L, Long::sum);
    }

    private record Row(Instant createdAt, UUID eventId, boolean revived) {
    }

    private Mono<Page> page(UUID organizationId, UUID endpointId, Instant since, Instant until, Page after) {
        DatabaseClient.GenericExecuteSpec statement = db.sql(after == null ? FIRST_PAGE : NEXT_PAGE)
                .bind("endpointId", endpointId)
                .bind("organizationId", organizationId)
                .bind("since", since)
                .bind("until", until)
                .bind("now", Timestamps.now());
        if (after != null) {
            statement = statement.bind("afterAt", after.lastAt()).bind("afterId", after.lastEventId());
        }
        return statement.map(row -> new Row(row.get("created_at", Instant.class), row.get("event_id", UUID.class),
                        Boolean.TRUE.equals(row.get("revived", Boolean.class))))
                .all()
                .collectList()
                .map(rows -> {
                    Row last = rows.isEmpty() ? null : rows.get(rows.size() - 1);
                    return new Page(last == null ? null : last.createdAt(), last == null ? null : last.eventId(), rows.size(),
                            rows.stream().filter(Row::revived).map(Row::eventId).toList());
                })
                .retryWhen(StorageFailures.retryConflicts());
    }
}
