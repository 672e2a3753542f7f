package io.triggers.client;

import java.util.Map;
import java.util.Objects;

/**
 * An event to send. {@code payload} is any value Jackson can write (a {@code JsonNode}, a map, a
 * record); {@code metadata} may carry {@code correlation_id} and {@code priority}. Without an
 * {@code idempotencyKey} the client gives the event a UUIDv7 one when it is sent, which makes every
 * retry of the send safe.
 */
public record Event(String type, Object payload, String source, Map<String, ?> metadata, String idempotencyKey) {

    public Event {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(payload, "payload (any JSON value but null)");
    }

    public static Event of(String type, Object payload) {
        return new Event(type, payload, null, null, null);
    }

    public Event withSource(String source) {
        return new Event(type, payload, source, metadata, idempotencyKey);
    }

    public Event withMetadata(Map<String, ?> metadata) {
        return new Event(type, payload, source, metadata, idempotencyKey);
    }

    /** The caller's own key (1–255 printable ASCII characters), e.g. derived from a business id. */
    public Event withIdempotencyKey(String idempotencyKey) {
        return new Event(type, payload, source, metadata, idempotencyKey);
    }
}
