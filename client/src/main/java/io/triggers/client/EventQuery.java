package io.triggers.client;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Filters for the event log and the inbox (both take the same ones, but {@code endpointId} only the
 * event log), the order, and the page size the listing fetches with (not a limit on what it
 * yields: a listing goes on until the last page).
 */
public record EventQuery(String status, String eventType, String source, String endpointId, Instant createdAfter,
                         Instant createdBefore, Boolean descending, Integer pageSize) {

    /** No filter, the API's default order (event log: newest first; inbox: oldest first), pages of 100. */
    public static EventQuery all() {
        return new EventQuery(null, null, null, null, null, null, null, 100);
    }

    public EventQuery withStatus(String status) {
        return new EventQuery(status, eventType, source, endpointId, createdAfter, createdBefore, descending, pageSize);
    }

    public EventQuery withEventType(String eventType) {
        return new EventQuery(status, eventType, source, endpointId, createdAfter, createdBefore, descending, pageSize);
    }

    public EventQuery withSource(String source) {
        return new EventQuery(status, eventType, source, endpointId, createdAfter, createdBefore, descending, pageSize);
    }

    public EventQuery withEndpointId(String endpointId) {
        return new EventQuery(status, eventType, source, endpointId, createdAfter, createdBefore, descending, pageSize);
    }

    public EventQuery createdAfter(Instant createdAfter) {
        return new EventQuery(status, eventType, source, endpointId, createdAfter, createdBefore, descending, pageSize);
    }

    public EventQuery createdBefore(Instant createdBefore) {
        return new EventQuery(status, eventType, source, endpointId, createdAfter, createdBefore, descending, pageSize);
    }

    public EventQuery newestFirst() {
        return new EventQuery(status, eventType, source, endpointId, createdAfter, createdBefore, true, pageSize);
    }

    public EventQuery oldestFirst() {
        return new EventQuery(status, eventType, source, endpointId, createdAfter, createdBefore, false, pageSize);
    }

    /** Events fetched per request, 1–500. */
    public EventQuery withPageSize(int pageSize) {
        if (pageSize < 1 || pageSize > 500) {
            throw new IllegalArgumentException("pageSize must be 1–500");
        }
        return new EventQuery(status, eventType, source, endpointId, createdAfter, createdBefore, descending, pageSize);
    }

    /** The query string for one page after {@code cursor} (null for the first). */
    String queryString(String cursor) {
        Map<String, String> parameters = new LinkedHashMap<>();
        if (pageSize != null) {
            parameters.put("limit", pageSize.toString());
        }
        put(parameters, "status", status);
        put(parameters, "event_type", eventType);
        put(parameters, "source", source);
        put(parameters, "endpoint_id", endpointId);
        put(parameters, "created_after", createdAfter == null ? null : createdAfter.toString());
        put(parameters, "created_before", createdBefore == null ? null : createdBefore.toString());
        put(parameters, "order", descending == null ? null : descending ? "desc" : "asc");
        put(parameters, "cursor", cursor);
        return encode(parameters);
    }

    static String encode(Map<String, String> parameters) {
        StringBuilder query = new StringBuilder();
        parameters.forEach((name, value) -> query.append(query.length() == 0 ? '?' : '&').append(name).append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return query.toString();
    }

    private static void put(Map<String, String> parameters, String name, String value) {
        if (value != null) {
            parameters.put(name, value);
        }
    }
}
