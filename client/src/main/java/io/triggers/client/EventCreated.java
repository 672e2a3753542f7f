package io.triggers.client;

import java.time.Instant;
import java.util.Optional;

/**
 * The answer to a sent event.
 *
 * @param replayed true when the idempotency key had been seen (the original event, {@code Idempotent-Replayed})
 * @param idempotencyKey the key the event was sent with (the caller's, or the one the client made)
 * @param rateLimit the ingestion budget the answer reported
 */
public record EventCreated(String eventId, String eventType, String source, String status, Instant createdAt, String requestId,
                           boolean replayed, String idempotencyKey, Optional<RateLimit> rateLimit) {
}
