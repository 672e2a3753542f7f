package io.triggers.client;

import java.time.Instant;
import tools.jackson.databind.JsonNode;

/**
 * An event as the API lists or reads it. Fields a listing does not carry are null
 * ({@code expiresAt} only in the inbox and event log, {@code lastError} only among dead letters);
 * {@code json} is the whole object, with {@code deliveries} when read one by one.
 */
public record StoredEvent(String eventId, String eventType, String source, JsonNode payload, JsonNode metadata, String status,
                          Instant createdAt, Instant acknowledgedAt, Instant deliveredAt, Instant expiresAt, String lastError,
                          JsonNode json) {

    static StoredEvent of(JsonNode node) {
        return new StoredEvent(Json.text(node, "event_id"), Json.text(node, "event_type"), Json.text(node, "source"),
                node.get("payload"), node.get("metadata"), Json.text(node, "status"), Json.time(node, "created_at"),
                Json.time(node, "acknowledged_at"), Json.time(node, "delivered_at"), Json.time(node, "expires_at"),
                Json.text(node, "last_error"), node);
    }
}
