package io.triggers.api.events;

import io.triggers.api.events.EventRepository.KeyedEvent;
import io.triggers.api.events.EventRepository.NewEvent;
import io.triggers.api.web.ApiException;
import io.triggers.shared.logging.RequestContext;
import io.triggers.shared.queue.QueueEntry;
import io.triggers.shared.storage.StorageBusy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Stores validated events of one organization and queues them: one statement for all of them
 * (shared with other requests by {@link GroupCommit}), then one ENQUEUE call per shard for all the
 * deliveries (events and endpoints) that statement stored. Each event ends as created,
 * replayed (its idempotency key was used before with the same request) or rejected (the key was
 * used with another request).
 */
@Component
public final class EventIngestion {

    private static final Logger log = LoggerFactory.getLogger(EventIngestion.class);

    /** How one submitted event ended. */
    public sealed interface Outcome permits Created, Replayed, Rejected {
    }

    public record Created(EventCreated response) implements Outcome {
    }

    public record Replayed(EventCreated response) implements Outcome {
    }

    public record Rejected(ApiException error) implements Outcome {
    }

    private final EventRepository events;
    private final GroupCommit groupCommit;
    private final Duration storeTimeout;

    EventIngestion(EventRepository events, GroupCommit groupCommit, IngestProperties properties) {
        this.events = events;
        this.groupCommit = groupCommit;
        this.storeTimeout = properties.storeTimeout();
    }

    /**
     * Bounds a PostgreSQL step by {@code store-timeout}: an unreachable or hanging database is a
     * {@code 503} the caller can retry, never a hung request. A timed-out insert may still commit;
     * the caller's retry then replays it (with an idempotency key) and the reconciler queues it.
     */
    private <T> Mono<T> bounded(Mono<T> storage) {
        return storage.timeout(storeTimeout, Mono.error(() ->
                        ApiException.serviceUnavailable("the event store did not answer within " + storeTimeout.toMillis() + " ms; retry shortly", 1)))
                .onErrorMap(StorageBusy.class, busy ->
                        ApiException.serviceUnavailable("the event store is not keeping up; retry shortly", 1));
    }

    /** Ingests the events; the outcomes are in the order of {@code submitted}. */
    public Mono<List<Outcome>> ingest(UUID organizationId, List<NewEvent> submitted) {
        // A key used twice in one call goes to the database once; its later uses follow the first.
        Map<String, Integer> firstUse = new HashMap<>();
        List<NewEvent> toStore = new ArrayList<>(submitted.size());
        for (int i = 0; i < submitted.size(); i++) {
            String key = submitted.get(i).idempotencyKey();
            if (key == null || firstUse.putIfAbsent(key, i) == null) {
                toStore.add(submitted.get(i));
            }
        }
        return bounded(groupCommit.insert(toStore)).flatMap(stored -> {
            Map<UUID, List<QueueEntry>> inserted = stored.inserted();
            List<String> taken = toStore.stream()
                    .filter(event -> event.idempotencyKey() != null && !inserted.containsKey(event.id()))
                    .map(NewEvent::idempotencyKey)
                    .toList();
            Mono<Map<String, KeyedEvent>> earlier = taken.isEmpty()
                    ? Mono.just(Map.of())
                    : bounded(events.findByIdempotencyKeys(organizationId, taken));
            return earlier.flatMap(found -> {
                Outcome[] outcomes = new Outcome[submitted.size()];
                for (int i = 0; i < submitted.size(); i++) {
                    NewEvent event = submitted.get(i);
                    Integer first = event.idempotencyKey() == null ? null : firstUse.get(event.idempotencyKey());
                    if (first != null && first != i) {
                        outcomes[i] = followFirstUse(event, submitted.get(first), outcomes[first]);
                    } else if (inserted.containsKey(event.id())) {
                        outcomes[i] = new Created(EventCreated.of(event));
                    } else {
                        outcomes[i] = compareWithEarlier(event, found.get(event.idempotencyKey()));
                    }
                }
                if (log.isDebugEnabled()) {
                    try (RequestContext.Scope logging = RequestContext.logging(submitted.get(0).requestId())) {
                        log.debug("stored {} of {} submitted events for organization {}", inserted.size(), submitted.size(), organizationId);
                    }
                }
                // Answered once its deliveries are queued (or Redis failed to take them): the statement's
                // one ENQUEUE per shard, shared with the other requests it carried.
                return stored.queued().thenReturn(List.of(outcomes));
            });
        });
    }

    private static Outcome compareWithEarlier(NewEvent event, KeyedEvent earlier) {
        if (earlier == null) {
            // The earlier event was deleted between our insert and this lookup.
            return new Rejected(ApiException.conflict("the idempotency key changed hands concurrently; retry"));
        }
        return Arrays.equals(earlier.fingerprint(), event.fingerprint())
                ? new Replayed(EventCreated.of(earlier))
                : new Rejected(ApiException.idempotencyKeyReused());
    }

    private static Outcome followFirstUse(NewEvent event, NewEvent firstEvent, Outcome firstOutcome) {
        if (!Arrays.equals(firstEvent.fingerprint(), event.fingerprint())) {
            return new Rejected(ApiException.idempotencyKeyReused());
        }
        if (firstOutcome instanceof Created created) {
            return new Replayed(created.response());
        }
        return firstOutcome;
    }
}
