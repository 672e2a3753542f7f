package io.triggers.client;

import java.time.Instant;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * A webhook endpoint. {@code secret} is present only where the API shows it (on create, and from
 * {@link TriggersClient#endpointSecret}); {@code json} carries the other options (headers, filter,
 * retry_schedule, rate_limit_per_second, max_in_flight, disabled_reason).
 */
public record Endpoint(String id, String url, String description, List<String> eventTypes, boolean enabled, String secret,
                       Instant createdAt, Instant updatedAt, JsonNode json) {

    static Endpoint of(JsonNode node) {
        return new Endpoint(Json.text(node, "id"), Json.text(node, "url"), Json.text(node, "description"),
                Json.texts(node, "event_types"), node.path("enabled").asBoolean(true), Json.text(node, "secret"),
                Json.time(node, "created_at"), Json.time(node, "updated_at"), node);
    }

    @Override
    public String toString() {
        return "Endpoint[id=" + id + ", url=" + url + ", eventTypes=" + eventTypes + ", enabled=" + enabled + "]";
    }
}
