package io.triggers.worker.reconciler;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.triggers.shared.queue.QueueEntry;
import io.triggers.worker.jobs.PeriodicJob;
import io.triggers.worker.queue.DeliveryQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * PostgreSQL is the record of what must be delivered; Redis is only the fast path. Every
 * {@code reconciler.every}, one replica (a Redis lock decides which) walks on through the
 * deliveries still owed, oldest first, and queues each one: the ENQUEUE script leaves alone one
 * that is queued already, so only what Redis lacks is added (the api died between COMMIT and
 * enqueue, an enqueue failed, Redis restarted empty or was flushed, an upgrade dropped the first
 * version's stream). A run reads up to {@code batch × max-batches} deliveries and the next one
 * goes on from there, so a long backlog is walked through in turns, not read whole every run.
 */
@Component
final class Reconciler extends PeriodicJob {

    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    private static final String OWED = """
            SELECT d.created_at, d.event_id, d.endpoint_id, d.organization_id, e.request_id,
                   ep.rate_limit_per_second, ep.max_in_flight
            FROM deliveries d
            JOIN events e ON e.id = d.event_id
            JOIN endpoints ep ON ep.id = d.endpoint_id
            WHERE d.status IN ('pending', 'failed')
              AND d.created_at < :before
              AND (d.created_at, d.event_id, d.endpoint_id) > (:afterAt, :afterEvent, :afterEndpoint)
              AND e.status <> 'acknowledged'
            ORDER BY d.created_at, d.event_id, d.endpoint_id
            LIMIT :batch
            """;

    private static final Instant START = Instant.parse("1970-01-01T00:00:00Z");
    private static final UUID NIL = new UUID(0, 0);

    /** Where the walk goes on from. */
    private record Position(Instant createdAt, UUID eventId, UUID endpointId) {
    }

    private record Owed(Position position, QueueEntry entry) {
    }

    private final DatabaseClient db;
    private final DeliveryQueue queue;
    private final ReconcilerProperties properties;
    private final Counter reenqueued;
    private volatile Position position = new Position(START, NIL, NIL);

    Reconciler(DatabaseClient db, DeliveryQueue queue, ReconcilerProperties properties, MeterRegistry meters) {
        super(log, "reconciling");
        this.db = db;
        this.queue = queue;
        this.properties = properties;
        this.reenqueued = Counter.builder("triggers.reconciler.reenqueued")
                .description("Deliveries owed in PostgreSQL that Redis lacked, queued again")
                .register(meters);
    }

    /** One run (if this replica gets the lock); emits how many deliveries it queued again. */
    Mono<Long> reconcileOnce() {
        Duration lock = Duration.ofMillis(Math.max(100, properties.every().toMillis() * 9 / 10));
        Instant before = Instant.now().minus(properties.grace());
        return queue.tryLock("reconciler", lock)
                .filter(Boolean::booleanValue)
                .flatMap(locked -> walk(before, properties.maxBatches()))
                .doOnNext(count -> {
                    if (count > 0) {
                        reenqueued.increment(count);
                        log.warn("queued {} deliveries that were owed in PostgreSQL but missing from Redis", count);
                    }
                })
                .defaultIfEmpty(0L);
    }

    /** Queues one page of owed deliveries, then the next, up to {@code batchesLeft} pages. */
    private Mono<Long> walk(Instant before, int batchesLeft) {
        return owed(before, position).flatMap(page -> Flux.fromIterable(page)
                .flatMap(owed -> queue.enqueue(owed.entry()), 64)
                .filter(Boolean::booleanValue)
                .count()
                .flatMap(queued -> {
                    boolean atEnd = page.size() < properties.batch();
                    position = atEnd ? new Position(START, NIL, NIL) : page.get(page.size() - 1).position();
                    return atEnd || batchesLeft <= 1 ? Mono.just(queued) : walk(before, batchesLeft - 1).map(more -> more + queued);
                }));
    }

    private Mono<List<Owed>> owed(Instant before, Position after) {
        return db.sql(OWED)
                .bind("before", before)
                .bind("afterAt", after.createdAt())
                .bind("afterEvent", after.eventId())
                .bind("afterEndpoint", after.endpointId())
                .bind("batch", properties.batch())
                .map(row -> new Owed(
                        new Position(row.get("created_at", Instant.class), row.get("event_id", UUID.class), row.get("endpoint_id", UUID.class)),
                        new QueueEntry(row.get("event_id", UUID.class), row.get("endpoint_id", UUID.class),
                                row.get("organization_id", UUID.class), row.get("request_id", String.class),
                                row.get("rate_limit_per_second", Integer.class), row.get("max_in_flight", Integer.class))))
                .all()
                .collectList();
    }

    @Override
    protected Duration every() {
        return properties.every();
    }

    @Override
    protected Mono<?> tick() {
        return reconcileOnce();
    }
}
