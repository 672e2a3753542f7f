package io.triggers.shared.stream;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What one entry on the events stream carries: enough to find the event in PostgreSQL, which
 * holds everything else. The payload never travels through Redis.
 *
 * @param eventId        the event
 * @param organizationId its organization
 * @param requestId      the ingest request's X-Request-ID, so delivery logs tie back to it; may be null
 */
public record StreamEntry(UUID eventId, UUID organizationId, String requestId) {

    static final String EVENT_ID = "event_id";
    static final String ORGANIZATION_ID = "organization_id";
    static final String REQUEST_ID = "request_id";

    public StreamEntry {
        if (eventId == null || organizationId == null) {
            throw new IllegalArgumentException("event_id and organization_id are required");
        }
    }

    /** The entry's fields as they are written with XADD. */
    public Map<String, String> toFields() {
        Map<String, String> fields = new HashMap<>(4);
        fields.put(EVENT_ID, eventId.toString());
        fields.put(ORGANIZATION_ID, organizationId.toString());
        if (requestId != null) {
            fields.put(REQUEST_ID, requestId);
        }
        return fields;
    }

    /**
     * Reads an entry's fields.
     *
     * @throws IllegalArgumentException when a required field is missing or not a UUID
     */
    public static StreamEntry fromFields(Map<String, String> fields) {
        String eventId = fields.get(EVENT_ID);
        String organizationId = fields.get(ORGANIZATION_ID);
        if (eventId == null || organizationId == null) {
            throw new IllegalArgumentException("stream entry without event_id or organization_id: " + fields.keySet());
        }
        return new StreamEntry(UUID.fromString(eventId), UUID.fromString(organizationId), fields.get(REQUEST_ID));
    }
}
