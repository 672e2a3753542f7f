package io.triggers.cli;

import io.triggers.client.EventQuery;
import io.triggers.client.StoredEvent;
import io.triggers.client.TriggersClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Follows the event log from now on: {@link #start()} reads the newest page and takes it as seen
 * (it fixes the position); each {@link #poll()} then reads, newest first, every event created since
 * shortly before the newest one seen, and hands on those not seen yet, oldest first. Reading a
 * little before the newest seen catches events committed late with an earlier {@code created_at}
 * (a slow transaction); the ids seen in that window keep them from being handed on twice.
 */
final class EventLogFollower {

    /** How far before the newest event seen each poll reads again. */
    static final Duration OVERLAP = Duration.ofSeconds(10);

    private final TriggersClient client;
    private final String eventType;
    private final Map<String, Instant> seen = new HashMap<>();
    private Instant newest;

    EventLogFollower(TriggersClient client, String eventType) {
        this.client = client;
        this.eventType = eventType;
    }

    void start() {
        for (StoredEvent event : client.events(query().withPageSize(100)).stream().limit(100).toList()) {
            remember(event);
        }
    }

    /** The events that appeared since the last poll, oldest first. */
    List<StoredEvent> poll() {
        EventQuery query = query().withPageSize(500);
        if (newest != null) {
            query = query.createdAfter(newest.minus(OVERLAP));
        }
        List<StoredEvent> fresh = new ArrayList<>();
        for (StoredEvent event : client.events(query)) {
            if (!seen.containsKey(event.eventId())) {
                fresh.add(event);
            }
        }
        fresh.sort(Comparator.comparing(StoredEvent::createdAt).thenComparing(StoredEvent::eventId));
        fresh.forEach(this::remember);
        if (newest != null) {
            Instant forgetBefore = newest.minus(OVERLAP);
            seen.values().removeIf(created -> created.isBefore(forgetBefore));
        }
        return fresh;
    }

    private EventQuery query() {
        EventQuery query = EventQuery.all().newestFirst();
        return eventType == null ? query : query.withEventType(eventType);
    }

    private void remember(StoredEvent event) {
        seen.put(event.eventId(), event.createdAt());
        if (newest == null || event.createdAt().isAfter(newest)) {
            newest = event.createdAt();
        }
    }
}
