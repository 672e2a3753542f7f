package io.triggers.shared.queue;

import java.util.UUID;

/**
 * One delivery to queue: an event to one endpoint. Only ids travel through Redis; PostgreSQL holds
 * the payload and everything else.
 *
 * @param eventId            the event
 * @param endpointId         the endpoint
 * @param organizationId     their organization (it decides the shard)
 * @param requestId          the ingest request's X-Request-ID, so delivery logs tie back to it; may be null
 * @param rateLimitPerSecond the endpoint's delivery rate limit; null when it has none
 * @param maxInFlight        deliveries to the endpoint at once, per worker replica
 */
public record QueueEntry(UUID eventId, UUID endpointId, UUID organizationId, String requestId, Integer rateLimitPerSecond,
                         int maxInFlight) {

    public QueueEntry {
        if (eventId == null || endpointId == null || organizationId == null) {
            throw new IllegalArgumentException("event, endpoint and organization are required");
        }
    }

    /** ENQUEUE's arguments after the key base, as {@link QueueScripts#ENQUEUE} takes them. */
    public String[] enqueueArguments(QueueKeys keys) {
        int shard = keys.shardOf(organizationId);
        return new String[] {keys.base(shard), organizationId.toString(), endpointId.toString(), eventId.toString(),
                requestId == null ? "" : requestId, rateLimitPerSecond == null ? "" : rateLimitPerSecond.toString(),
                Integer.toString(maxInFlight), keys.wake(), Integer.toString(shard)};
    }
}
