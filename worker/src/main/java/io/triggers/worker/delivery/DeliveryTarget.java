package io.triggers.worker.delivery;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One delivery still owed: an event to one endpoint.
 *
 * @param event      the event
 * @param endpointId the endpoint
 * @param url        where to POST
 * @param secrets    the signing secrets: the current one, then the previous one while it is still valid
 * @param attempts   attempts made so far
 */
record DeliveryTarget(EventData event, UUID endpointId, String url, List<String> secrets, int attempts) {

    /** What the webhook body is made of. */
    record EventData(UUID id, UUID organizationId, String eventType, String source, String payloadJson,
                     String metadataJson, Instant createdAt) {
    }
}
