package io.triggers.api.inbox;

import java.time.Instant;

/** The filters and order of one inbox listing; a cursor is only valid for the query it came from. */
record InboxQuery(String status, String eventType, String source, Instant createdAfter, Instant createdBefore, boolean descending) {

    /** What a cursor is bound to: every filter and the order (not the page size). */
    String key() {
        return String.join("\u0001", String.valueOf(status), String.valueOf(eventType), String.valueOf(source),
                String.valueOf(createdAfter), String.valueOf(createdBefore), descending ? "desc" : "asc");
    }
}
