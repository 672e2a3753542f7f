package io.triggers.worker.reconciler;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.triggers.shared.stream.StreamEntry;
import io.triggers.worker.delivery.DeliveryStream;
import io.triggers.worker.delivery.PeriodicJob;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * PostgreSQL is the record of what must be delivered; the stream is only the fast path. Every
 * {@code reconciler.every}, one replica (a Redis lock decides which) re-enqueues the events that
 * are owed a delivery but that no stream entry carries: the api died between COMMIT and XADD, an
 * XADD failed, or Redis restarted empty or was flushed. Acknowledged entries are deleted from the
 * stream, so it holds exactly the outstanding ones: an event waiting in the pending list for its
 * next retry is on the stream, and is not enqueued twice.
 */
@Component
final class Reconciler extends PeriodicJob {

    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    private static final String OWED = """
            SELECT DISTINCT ON (d.created_at, e.id) e.id, e.organization_id, e.request_id
            FROM deliveries d
            JOIN events e ON e.id = d.event_id
            WHERE d.status IN ('pending', 'failed')
              AND d.created_at < :before
              AND e.status <> 'acknowledged'
              AND (:all OR e.id = ANY (:eventIds::uuid[]))
            ORDER BY d.created_at, e.id
            LIMIT :batch
            """;

    private final DatabaseClient db;
    private final DeliveryStream stream;
    private final ReconcilerProperties properties;
    private final Counter reenqueued;

    Reconciler(DatabaseClient db, DeliveryStream stream, ReconcilerProperties properties, MeterRegistry meters) {
        super(log, "reconciling");
        this.db = db;
        this.stream = stream;
        this.properties = properties;
        this.reenqueued = Counter.builder("triggers.reconciler.reenqueued")
                .description("Events owed a delivery that no stream entry carried, put back on the stream")
                .register(meters);
    }

    /** One run (if this replica gets the lock); emits how many events it re-enqueued. */
    Mono<Long> reconcileOnce() {
        Duration lock = Duration.ofMillis(Math.max(100, properties.every().toMillis() * 9 / 10));
        // PostgreSQL first (the oldest owed events), then the stream, read only until each of them
        // is found: usually at its start, so a long backlog is not read whole every run. An event
        // not found is checked in PostgreSQL once more, since its entry may have been acknowledged
        // (and deleted) after the first read: an entry is deleted only once nothing is owed.
        return stream.tryLock("reconciler", lock)
                .filter(Boolean::booleanValue)
                .flatMap(locked -> owed(null))
                .filter(owed -> !owed.isEmpty())
                .flatMap(owed -> stream.notOnStream(owed.stream().map(entry -> entry.eventId().toString())
                                .collect(Collectors.toCollection(HashSet::new)))
                        .filter(missing -> !missing.isEmpty())
                        .flatMap(missing -> owed(missing.stream().map(UUID::fromString).toArray(UUID[]::new))))
                .flatMap(missing -> Flux.fromIterable(missing).concatMap(stream::enqueue).count())
                .doOnNext(count -> {
                    if (count > 0) {
                        reenqueued.increment(count);
                        log.warn("re-enqueued {} events that were owed a delivery but not on the stream", count);
                    }
                })
                .defaultIfEmpty(0L);
    }

    /** The oldest events owed a delivery (past the grace period); only among {@code eventIds} when given. */
    private Mono<List<StreamEntry>> owed(UUID[] eventIds) {
        return db.sql(OWED)
                .bind("before", Instant.now().minus(properties.grace()))
                .bind("batch", properties.batch())
                .bind("eventIds", eventIds == null ? new UUID[0] : eventIds)
                .bind("all", eventIds == null)
                .map(row -> new StreamEntry(row.get("id", UUID.class), row.get("organization_id", UUID.class),
                        row.get("request_id", String.class)))
                .all()
                .collectList();
    }

    @Override
    protected Duration every() {
        return properties.every();
    }

    /** The group is recreated first, so a Redis that came back empty is consumed again at once. */
    @Override
    protected Mono<?> tick() {
        return stream.ensureGroup().then(reconcileOnce());
    }
}
