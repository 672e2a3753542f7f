package io.triggers.api.eventlog;

import java.time.Instant;
import java.util.UUID;

/** The filters and order of one event-log listing; a cursor is only valid for the query it came from. */
record EventLogQuery(String status, String eventType, String source, UUID endpointId, Instant createdAfter,
                     Instant createdBefore, boolean descending) {

    /** What a cursor is bound to: every filter and the order (not the page size). */
    String key() {
        return String.join("\u0001", "log", String.valueOf(status), String.valueOf(eventType), String.valueOf(source),
                String.valueOf(endpointId), String.valueOf(createdAfter), String.valueOf(createdBefore),
                descending ? "desc" : "asc");
    }
}
