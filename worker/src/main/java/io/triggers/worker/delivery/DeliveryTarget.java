package io.triggers.worker.delivery;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One delivery still owed: an event to one endpoint.
 *
 * @param event           the event
 * @param endpointId      the endpoint
 * @param url             where to POST
 * @param secrets         the signing secrets: the current one, then the previous one while it is still valid
 * @param attempts        attempts made so far
 * @param scheduleFrom    attempts made when its retry schedule (re)started: 0, or the count at its last replay
 * @param endpointEnabled whether the endpoint may be called
 * @param disabledReason  why it was disabled, when it was
 * @param notBefore       the receiver's Retry-After ends then; null when it asked nothing
 * @param failingSince    when the endpoint's current run of failures began; null when its last attempt succeeded
 * @param headers         the endpoint's static headers, decrypted (empty when it has none)
 * @param retrySchedule   the endpoint's own retry schedule; null when it follows the service's
 */
public record DeliveryTarget(EventData event, UUID endpointId, String url, List<String> secrets, int attempts,
                      int scheduleFrom, boolean endpointEnabled, String disabledReason, Instant notBefore, Instant failingSince,
                      Map<String, String> headers, List<Duration> retrySchedule) {

    /** Attempts made since its retry schedule (re)started: the step of its next retry follows from it. */
    public int attemptsInSchedule() {
        return attempts - scheduleFrom;
    }

    /** What the webhook body is made of. */
    public record EventData(UUID id, UUID organizationId, String eventType, String source, String payloadJson,
                     String metadataJson, Instant createdAt) {
    }
}
