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
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/**
 * PostgreSQL is the record of what must be delivered; Redis is only the fast path. Every
 * {@code reconciler.every}, one replica (a Redis lock decides which) walks on through the
 * deliveries still owed, oldest first, and queues each one: the ENQUEUE script leaves alone one
 * that is queued already, so only what Redis lacks is added (the api died between COMMIT and
 * enqueue, an enqueue failed, Redis restarted empty or was flushed, an upgrade dropped the first
 * version's stream).
 *
 * <p>A run goes on until it has caught up (or for 80 % of {@code every}, or {@code max-batches}
 * pages); once caught up, the walk stays at its end and later runs read only deliveries owed
 * since, so a long backlog that Redis holds is not read again and again. The walk starts over
 * from the oldest owed delivery every {@code full-walk-every}, and at once when a shard's marker
 * ({@link io.triggers.shared.queue.QueueKeys#intact}, set when a full walk starts) is gone: Redis
 * lost its keys, and everything owed is queued again.
 */
@Component
final class Reconciler extends PeriodicJob {

    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    // One page of the walk: the owed deliveries after the position, in the order of the partial
    // index deliveries_owed_keyset_idx, read from it in order and no further than the page (the
    // joins come after the LIMIT). Run with bitmap scans off (SET LOCAL, below): without fresh
    // statistics (autovacuum off, or a table that just grew) PostgreSQL takes the index for a small
    // one and reads every owed delivery into a bitmap and sorts them all, for each page of 1 000.
    private static final String OWED = """
            SELECT d.created_at, d.event_id, d.endpoint_id, d.organization_id, e.request_id, e.trace_parent,
                   ep.rate_limit_per_second, ep.max_in_flight, e.status = 'acknowledged' AS acknowledged
            FROM (SELECT created_at, event_id, endpoint_id, organization_id
                  FROM deliveries
                  WHERE status IN ('pending', 'failed')
                    AND created_at < :before
                    AND (created_at, event_id, endpoint_id) > (:afterAt, :afterEvent, :afterEndpoint)
                  ORDER BY created_at, event_id, endpoint_id
                  LIMIT :batch) d
            JOIN events e ON e.id = d.event_id
            JOIN endpoints ep ON ep.id = d.endpoint_id
            ORDER BY d.created_at, d.event_id, d.endpoint_id
            """;

    private static final Instant START = Instant.parse("1970-01-01T00:00:00Z");
    private static final UUID NIL = new UUID(0, 0);

    /** Where the walk goes on from. */
    private record Position(Instant createdAt, UUID eventId, UUID endpointId) {
    }

    /** A delivery of the page; one of an acknowledged event is not owed (an inbox consumer took it), only passed. */
    private record Owed(Position position, QueueEntry entry, boolean acknowledged) {
    }

    private final DatabaseClient db;
    /** The page is read in a transaction of its own, so SET LOCAL ends with it. */
    private final TransactionalOperator transactions;
    private final DeliveryQueue queue;
    private final ReconcilerProperties properties;
    private final Counter reenqueued;
    private volatile Position position = new Position(START, NIL, NIL);
    /** When the walk starts over from the oldest owed delivery (the first run does). */
    private volatile Instant nextFullWalk = Instant.EPOCH;

    Reconciler(DatabaseClient db, ReactiveTransactionManager transactionManager, DeliveryQueue queue,
               ReconcilerProperties properties, MeterRegistry meters) {
        super(log, "reconciling");
        this.db = db;
        this.transactions = TransactionalOperator.create(transactionManager);
        this.queue = queue;
        this.properties = properties;
        this.reenqueued = Counter.builder("triggers.reconciler.reenqueued")
                .description("Deliveries owed in PostgreSQL that Redis lacked, queued again")
                .register(meters);
    }

    /** One run (if this replica gets the lock); emits how many deliveries it queued again. */
    Mono<Long> reconcileOnce() {
        Duration lock = Duration.ofMillis(Math.max(100, properties.every().toMillis() * 9 / 10));
        Instant now = Instant.now();
        Instant before = now.minus(properties.grace());
        long deadline = System.nanoTime() + properties.every().toNanos() * 8 / 10;
        return queue.tryLock("reconciler", lock)
                .filter(Boolean::booleanValue)
                .flatMap(locked -> queue.intact())
                .flatMap(intact -> {
                    if (intact && now.isBefore(nextFullWalk)) {
                        return walk(before, properties.maxBatches(), deadline);
                    }
                    if (!intact) {
                        log.info("Redis lost queue keys (a shard's marker is gone): walking every owed delivery to queue it again");
                    }
                    position = new Position(START, NIL, NIL);
                    nextFullWalk = now.plus(properties.fullWalkEvery());
                    // Marked before walking: keys lost during the walk show at the next run, which starts over.
                    return queue.markIntact(now.toString()).then(walk(before, properties.maxBatches(), deadline));
                })
                .doOnNext(count -> {
                    if (count > 0) {
                        reenqueued.increment(count);
                        log.warn("queued {} deliveries that were owed in PostgreSQL but missing from Redis", count);
                    }
                })
                .defaultIfEmpty(0L);
    }

    /** Queues one page of owed deliveries, then the next, until caught up, out of pages or past the deadline. */
    private Mono<Long> walk(Instant before, int batchesLeft, long deadline) {
        return owed(before, position).flatMap(page -> queue.enqueue(page.stream()
                        .filter(owed -> !owed.acknowledged()).map(Owed::entry).toList())
                .flatMap(queued -> {
                    if (!page.isEmpty()) {
                        position = page.get(page.size() - 1).position(); // at the end, the walk stays there
                    }
                    boolean more = page.size() == properties.batch() && batchesLeft > 1 && System.nanoTime() < deadline;
                    return more ? walk(before, batchesLeft - 1, deadline).map(next -> next + queued) : Mono.just(queued);
                }));
    }

    private Mono<List<Owed>> owed(Instant before, Position after) {
        return db.sql("SET LOCAL enable_bitmapscan = off").then().then(db.sql(OWED)
                .bind("before", before)
                .bind("afterAt", after.createdAt())
                .bind("afterEvent", after.eventId())
                .bind("afterEndpoint", after.endpointId())
                .bind("batch", properties.batch())
                .map(row -> new Owed(
                        new Position(row.get("created_at", Instant.class), row.get("event_id", UUID.class), row.get("endpoint_id", UUID.class)),
                        new QueueEntry(row.get("event_id", UUID.class), row.get("endpoint_id", UUID.class),
                                row.get("organization_id", UUID.class), row.get("request_id", String.class),
                                row.get("trace_parent", String.class), row.get("rate_limit_per_second", Integer.class), row.get("max_in_flight", Integer.class)),
                        Boolean.TRUE.equals(row.get("acknowledged", Boolean.class))))
                .all()
                .collectList())
                .as(transactions::transactional);
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
