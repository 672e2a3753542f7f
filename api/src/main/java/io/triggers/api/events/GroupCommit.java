package io.triggers.api.events;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.triggers.api.events.EventRepository.NewEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import io.triggers.shared.queue.QueueEntry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Group commit: concurrent ingest requests share INSERT statements. A request's events join a
 * queue; whenever fewer than {@code max-concurrent} statements are running, everything queued (up
 * to {@code max-rows} events) goes to PostgreSQL as one statement, and each request is answered
 * when the statement that carried its events has committed. There is no timer: under light load a
 * request is flushed at once, alone (no added latency); under heavy load requests pile up while
 * statements run, and the next statement takes them all, so the batch size follows the load.
 * Two uses of one organization's idempotency key never share a statement (PostgreSQL cannot
 * update one row twice in a statement): the later waits for the next one. A request that stopped
 * waiting before its statement was sent (it was answered 503 after {@code store-timeout}) is
 * dropped from the queue, so it is not stored behind its caller's back.
 */
@Component
final class GroupCommit {

    /** One request's events; {@code abandoned} once its caller stopped waiting (timed out, went away). */
    private record Pending(List<NewEvent> events, MonoSink<Map<UUID, List<QueueEntry>>> sink, AtomicBoolean abandoned) {
    }

    private final EventRepository repository;
    private final int maxRows;
    private final int maxConcurrent;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final AtomicInteger running = new AtomicInteger();
    private final DistributionSummary statementSize;

    GroupCommit(EventRepository repository, IngestProperties properties, MeterRegistry meters) {
        this.repository = repository;
        this.statementSize = DistributionSummary.builder("triggers.ingest.statement.events")
                .description("Events carried by one INSERT statement (group commit)")
                .register(meters);
        this.maxRows = properties.groupCommitMaxRows();
        this.maxConcurrent = properties.groupCommitMaxConcurrent();
    }

    /** Stores the events (with others' queued meanwhile); emits, as {@link EventRepository#insertAll} does, what was inserted. */
    Mono<Map<UUID, List<QueueEntry>>> insert(List<NewEvent> events) {
        if (events.isEmpty()) {
            return Mono.just(Map.of());
        }
        return Mono.create(sink -> {
            // A request answered 503 before its turn came is not inserted after all.
            AtomicBoolean abandoned = new AtomicBoolean();
            sink.onCancel(() -> abandoned.set(true));
            synchronized (queue) {
                queue.add(new Pending(events, sink, abandoned));
            }
            drain();
        });
    }

    private void drain() {
        while (true) {
            int current = running.get();
            if (current >= maxConcurrent) {
                return; // a running statement drains again when it finishes
            }
            if (!running.compareAndSet(current, current + 1)) {
                continue;
            }
            List<Pending> batch = take();
            if (batch.isEmpty()) {
                running.decrementAndGet();
                // Something may have been queued between take() and the decrement.
                synchronized (queue) {
                    if (queue.isEmpty()) {
                        return;
                    }
                }
                continue;
            }
            flush(batch);
        }
    }

    private List<Pending> take() {
        List<Pending> batch = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        int rows = 0;
        synchronized (queue) {
            Pending next;
            while ((next = queue.peek()) != null) {
                if (next.abandoned().get()) {
                    queue.poll();
                    continue;
                }
                if (!batch.isEmpty() && rows + next.events().size() > maxRows) {
                    break;
                }
                if (!batch.isEmpty() && !claimKeys(next, keys)) {
                    break;
                }
                if (batch.isEmpty()) {
                    claimKeys(next, keys);
                }
                batch.add(queue.poll());
                rows += next.events().size();
            }
        }
        return batch;
    }

    /** Adds the request's idempotency keys to {@code keys}; false (adding none) if one is there already. */
    private static boolean claimKeys(Pending pending, Set<String> keys) {
        List<String> own = new ArrayList<>();
        for (NewEvent event : pending.events()) {
            if (event.idempotencyKey() != null) {
                String key = event.organizationId() + "\n" + event.idempotencyKey();
                if (keys.contains(key)) {
                    return false;
                }
                own.add(key);
            }
        }
        keys.addAll(own);
        return true;
    }

    private void flush(List<Pending> batch) {
        List<NewEvent> events = new ArrayList<>();
        batch.forEach(pending -> events.addAll(pending.events()));
        statementSize.record(events.size());
        repository.insertAll(events)
                .doFinally(signal -> {
                    running.decrementAndGet();
                    drain();
                })
                .subscribe(
                        inserted -> batch.forEach(pending -> pending.sink().success(inserted)),
                        failure -> {
                            if (batch.size() == 1) {
                                batch.get(0).sink().error(failure);
                                return;
                            }
                            // One request's value may have failed the shared statement: each on its own,
                            // so a request fails only for its own reasons.
                            for (Pending pending : batch) {
                                repository.insertAll(pending.events()).subscribe(pending.sink()::success, pending.sink()::error);
                            }
                        });
    }
}
