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
 * <p>The queue holds at most {@code group-commit-max-queued-rows} events and
 * {@code group-commit-max-queued-bytes} of payload: past that, a request is answered {@code 503} at
 * once, so a stalled database never costs more memory than that. A request that stopped waiting
 * before its statement was sent (answered 503 after {@code store-timeout}) leaves the queue and is
 * never stored behind its caller's back. Two uses of one organization's idempotency key never share
 * a statement (PostgreSQL cannot update one row twice in a statement): the later waits for the next.
 * When a shared statement fails for one request's values, each request is tried again alone, within
 * the same limits.
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

    private final EventRepository repository;
    private final DistributionSummary statementSize;
    private final Coalescer<Request, Map<UUID, List<QueueEntry>>> coalescer;

    GroupCommit(EventRepository repository, IngestProperties properties, MeterRegistry meters) {
        this.repository = repository;
        this.statementSize = DistributionSummary.builder("triggers.ingest.statement.events")
                .description("Events carried by one INSERT statement (group commit)")
                .register(meters);
        this.coalescer = new Coalescer<>(this::insertBatch, Request::idempotencyKeys, request -> request.events.size(), Request::bytes,
                StorageFailures::isStorageFailure,
                new Coalescer.Limits(properties.groupCommitMaxRows(), properties.groupCommitMaxConcurrent(),
                        properties.groupCommitMaxQueuedRows(), properties.groupCommitMaxQueuedBytes()),
                () -> new StorageBusy("event inserts"));
        Gauge.builder("triggers.ingest.queued.events", coalescer, Coalescer::queuedWeight)
                .description("Events waiting for an INSERT statement (group commit)")
                .register(meters);
        Gauge.builder("triggers.ingest.queued.bytes", coalescer, Coalescer::queuedBytes)
                .description("Memory those events hold, roughly")
                .baseUnit("bytes")
                .register(meters);
    }

    /**
     * Stores the events (with others' queued meanwhile); emits, as {@link EventRepository#insertAll}
     * does, what was inserted. Fails with {@link StorageBusy} at once when the queue is full.
     */
    Mono<Map<UUID, List<QueueEntry>>> insert(List<NewEvent> events) {
        if (events.isEmpty()) {
            return Mono.just(Map.of());
        }
        return coalescer.submit(new Request(events)).defaultIfEmpty(Map.of());
    }

    private Mono<Map<Request, Map<UUID, List<QueueEntry>>>> insertBatch(List<Request> requests) {
        List<NewEvent> events = new ArrayList<>();
        requests.forEach(request -> events.addAll(request.events));
        statementSize.record(events.size());
        return repository.insertAll(events).map(inserted -> {
            Map<Request, Map<UUID, List<QueueEntry>>> results = new HashMap<>();
            requests.forEach(request -> results.put(request, inserted));
            return results;
        });
    }
}
