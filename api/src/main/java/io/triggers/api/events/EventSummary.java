package io.triggers.api.events;

import com.fasterxml.jackson.annotation.JsonRawValue;
import java.time.Instant;
import java.util.UUID;

/**
 * An event as lists show it (without its deliveries); payload and metadata are the stored JSON;
 * {@code expiresAt} is when retention will delete it.
 */
public record EventSummary(UUID eventId, String eventType, String source, @JsonRawValue String payload,
                           @JsonRawValue String metadata, String status, Instant createdAt, Instant acknowledgedAt,
                           Instant deliveredAt, Instant expiresAt) {
}
