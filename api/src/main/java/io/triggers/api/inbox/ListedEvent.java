package io.triggers.api.inbox;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import io.triggers.api.events.EventSummary;
import java.time.Instant;
import java.util.UUID;

/**
 * An event of a listing in commit order (the inbox, the event log) and its position, which a
 * cursor carries. Read from a row with the event's columns, {@code expires_at} and
 * {@code position_xact} (its {@code xact_id} as text).
 */
public record ListedEvent(EventSummary event, InboxCursor position) {

    public static ListedEvent of(Readable row) {
        EventSummary event = new EventSummary(row.get("id", UUID.class), row.get("event_type", String.class),
                row.get("source", String.class), row.get("payload", Json.class).asString(),
                row.get("metadata", Json.class).asString(), row.get("status", String.class),
                row.get("created_at", Instant.class), row.get("acknowledged_at", Instant.class),
                row.get("delivered_at", Instant.class), row.get("expires_at", Instant.class));
        long xactId = Long.parseUnsignedLong(row.get("position_xact", String.class));
        return new ListedEvent(event, new InboxCursor(xactId, event.createdAt(), event.eventId()));
    }
}
