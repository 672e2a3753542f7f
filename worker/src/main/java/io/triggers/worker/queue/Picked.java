package io.triggers.worker.queue;

import java.util.UUID;

/**
 * One delivery handed out to this replica by the queue, leased to it until settled.
 *
 * @param shard          the shard it is queued in
 * @param endpointId     the endpoint
 * @param entryId        its entry on the endpoint's stream
 * @param eventId        the event
 * @param requestId      the ingest request's id (empty when unknown)
 * @param traceParent    the event's trace context, a W3C traceparent (empty when the entry has none)
 * @param organizationId the organization
 */
public record Picked(int shard, UUID endpointId, String entryId, UUID eventId, String requestId, String traceParent,
                     UUID organizationId) {
}
