package io.triggers.api.events;

import java.time.Instant;
import java.util.UUID;

/** The answer to an accepted event, and, unchanged, to every replay of its idempotency key. */
public record EventCreated(UUID eventId, String eventType, String source, String status, Instant createdAt, String requestId) {

    static EventCreated of(EventRepository.NewEvent event) {
        return new EventCreated(event.id(), event.eventType(), event.source(), "pending", event.createdAt(), event.requestId());
    }

    static EventCreated of(EventRepository.KeyedEvent event) {
        return new EventCreated(event.eventId(), event.eventType(), event.source(), "pending", event.createdAt(), event.requestId());
    }
}
