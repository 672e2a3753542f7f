package io.triggers.api.events;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.triggers.api.events.EventRepository.NewEvent;
import io.triggers.shared.queue.QueueEntry;
import io.triggers.shared.storage.Coalescer;
import io.triggers.shared.storage.StorageBusy;
import io.triggers.shared.storage.StorageFailures;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Group commit: concurrent ingest requests share INSERT statements (a {@link Coalescer} of
 * requests, weighed in events). Whenever fewer than {@code group-commit-max-concurrent} statements
 * are running, what is queued (up to {@code group-commit-max-rows} events) goes to PostgreSQL as one
 * statement, and each request is answered when the statement that carried its events has
 * committed. There is no timer: under light load a request is flushed at once, alone; under heavy
 * load requests pile up while statements run, and the next statement takes them all.
 *
 * <p>Each lane's queue holds at most {@code group-commit-max-queued-rows} events and
 * {@code group-commit-max-queued-bytes} of payload: past that, a request is answered {@code 503} at
 * once, so a stalled database never costs more memory than that. A request that stopped waiting
 * before its statement was sent (answered 503 after {@code store-timeout}) leaves the queue and is
 * never stored behind its caller's back. Two uses of one organization's idempotency key never share
 * a statement (PostgreSQL cannot update one row twice in a statement): the later waits for the next.
 * When a shared statement fails for one request's values, each request is tried again alone, within
 * the same limits.
 *
 * <p>Two lanes, each with its own statements and limits: requests of one event, and requests of
 * several (batches). A single event never waits behind another organization's 1 000-row batch
 * statements: with two statements at once shared by both, a quiet organization's single events
 * waited for two of a bursting organization's batch statements (p99 384 → 826 ms in
 * {@code bench/isolation.sh}'s burst case), and with eight, PostgreSQL spent almost three times the
 * CPU per single event (issue 17).
 */
@Component
final class GroupCommit {

    /** One request's events. Identity matters: two requests with equal events are still two requests. */
    private static final class Request {
        final List<NewEvent> events;

        Request(List<NewEvent> events) {
            this.events = events;
        }

        List<String> idempotencyKeys() {
            List<String> keys = new ArrayList<>();
            for (NewEvent event : events) {
                if (event.idempotencyKey() != null) {
                    keys.add(event.organizationId() + "\n" + event.idempotencyKey());
                }
            }
            return keys;
        }

        long bytes() {
            long bytes = 256;
            for (NewEvent event : events) {
                bytes += 256 + 2L * (event.payloadJson().length() + event.metadataJson().length());
            }
            return bytes;
        }
    }

    /**
     * What one statement stored: each inserted event's deliveries (absent: its idempotency key was
     * taken), and their queuing in Redis, started once for the whole statement (one ENQUEUE call per
     * shard, not one per request); it completes empty whether or not Redis took them.
     */
    record Stored(Map<UUID, List<QueueEntry>> inserted, Mono<Void> queued) {
        static final Stored NOTHING = new Stored(Map.of(), Mono.empty());
    }

    private final EventRepository repository;
    private final EventQueue queue;
    private final DistributionSummary statementSize;
    /** Requests of one event. */
    private final Coalescer<Request, Stored> singles;
    /** Requests of several events. */
    private final Coalescer<Request, Stored> batches;

    GroupCommit(EventRepository repository, EventQueue queue, IngestProperties properties, MeterRegistry meters) {
        this.repository = repository;
        this.queue = queue;
        this.statementSize = DistributionSummary.builder("triggers.ingest.statement.events")
                .description("Events carried by one INSERT statement (group commit)")
                .register(meters);
        Coalescer.Limits limits = new Coalescer.Limits(properties.groupCommitMaxRows(), properties.groupCommitMaxConcurrent(),
                properties.groupCommitMaxQueuedRows(), properties.groupCommitMaxQueuedBytes());
        this.singles = lane(limits);
        this.batches = lane(limits);
        Gauge.builder("triggers.ingest.queued.events", this, commit -> commit.singles.queuedWeight() + commit.batches.queuedWeight())
                .description("Events waiting for an INSERT statement (group commit)")
                .register(meters);
        Gauge.builder("triggers.ingest.queued.bytes", this, commit -> commit.singles.queuedBytes() + commit.batches.queuedBytes())
                .description("Memory those events hold, roughly")
                .baseUnit("bytes")
                .register(meters);
    }

    private Coalescer<Request, Stored> lane(Coalescer.Limits limits) {
        return new Coalescer<>(this::insertBatch, Request::idempotencyKeys, request -> request.events.size(), Request::bytes,
                StorageFailures::isStorageFailure, limits, () -> new StorageBusy("event inserts"));
    }

    /**
     * Stores the events (with others' queued meanwhile); emits, as {@link EventRepository#insertAll}
     * does, what was inserted, and the queuing of its deliveries (tagged with each event's request
     * id), already under way. Fails with {@link StorageBusy} at once when the queue is full.
     */
    Mono<Stored> insert(List<NewEvent> events) {
        if (events.isEmpty()) {
            return Mono.just(Stored.NOTHING);
        }
        return (events.size() == 1 ? singles : batches).submit(new Request(events)).defaultIfEmpty(Stored.NOTHING);
    }

    private Mono<Map<Request, Stored>> insertBatch(List<Request> requests) {
        List<NewEvent> events = new ArrayList<>();
        requests.forEach(request -> events.addAll(request.events));
        statementSize.record(events.size());
        return repository.insertAll(events).map(inserted -> {
            List<QueueEntry> toQueue = new ArrayList<>();
            for (NewEvent event : events) {
                for (QueueEntry delivery : inserted.getOrDefault(event.id(), List.of())) {
                    toQueue.add(new QueueEntry(delivery.eventId(), delivery.endpointId(), delivery.organizationId(),
                            event.requestId(), event.traceParent(), delivery.rateLimitPerSecond(), delivery.maxInFlight()));
                }
            }
            // Started now, outside the statement's slot and its callers' store-timeout: a slow Redis
            // delays the answers (each waits for it) but never fails them or holds PostgreSQL's turn.
            Mono<Void> queued = queue.enqueueAll(toQueue).cache();
            queued.subscribe();
            Stored stored = new Stored(inserted, queued);
            Map<Request, Stored> results = new HashMap<>();
            requests.forEach(request -> results.put(request, stored));
            return results;
        });
    }
}
