package io.triggers.shared.queue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One delivery to queue: an event to one endpoint. Only ids travel through Redis; PostgreSQL holds
 * the payload and everything else.
 *
 * @param eventId            the event
 * @param endpointId         the endpoint
 * @param organizationId     their organization (it decides the shard)
 * @param requestId          the ingest request's X-Request-ID, so delivery logs tie back to it; may be null
 * @param traceParent        the event's trace context (a W3C traceparent), the parent of each attempt's span; may be null
 * @param rateLimitPerSecond the endpoint's delivery rate limit; null when it has none
 * @param maxInFlight        deliveries to the endpoint at once, per worker replica
 */
public record QueueEntry(UUID eventId, UUID endpointId, UUID organizationId, String requestId, String traceParent,
                         Integer rateLimitPerSecond, int maxInFlight) {

    public QueueEntry {
        if (eventId == null || endpointId == null || organizationId == null) {
            throw new IllegalArgumentException("event, endpoint and organization are required");
        }
    }

    /** ENQUEUE's arguments per delivery. */
    static final int ARGUMENTS_PER_ENTRY = 7;

    /** Deliveries queued by one ENQUEUE call at most, so one call never holds Redis for long. */
    public static final int MAX_PER_CALL = 500;

    /** Deliveries of one shard, to queue with one ENQUEUE call. */
    public record ShardBatch(int shard, List<QueueEntry> entries) {

        /** ENQUEUE's arguments, as {@link QueueScripts#ENQUEUE} takes them. */
        public String[] enqueueArguments(QueueKeys keys) {
            String[] args = new String[3 + entries.size() * ARGUMENTS_PER_ENTRY];
            args[0] = keys.base(shard);
            args[1] = keys.wake();
            args[2] = Integer.toString(shard);
            int i = 3;
            for (QueueEntry entry : entries) {
                args[i++] = entry.organizationId().toString();
                args[i++] = entry.endpointId().toString();
                args[i++] = entry.eventId().toString();
                args[i++] = entry.requestId() == null ? "" : entry.requestId();
                args[i++] = entry.traceParent() == null ? "" : entry.traceParent();
                args[i++] = entry.rateLimitPerSecond() == null ? "" : entry.rateLimitPerSecond().toString();
                args[i++] = Integer.toString(entry.maxInFlight());
            }
            return args;
        }
    }

    /** The entries split by shard, and into calls of at most {@link #MAX_PER_CALL}, in their order within each shard. */
    public static List<ShardBatch> byShard(QueueKeys keys, List<QueueEntry> entries) {
        Map<Integer, List<QueueEntry>> shards = new LinkedHashMap<>();
        for (QueueEntry entry : entries) {
            shards.computeIfAbsent(keys.shardOf(entry.organizationId()), shard -> new ArrayList<>()).add(entry);
        }
        List<ShardBatch> batches = new ArrayList<>();
        shards.forEach((shard, ofShard) -> {
            for (int from = 0; from < ofShard.size(); from += MAX_PER_CALL) {
                batches.add(new ShardBatch(shard, ofShard.subList(from, Math.min(ofShard.size(), from + MAX_PER_CALL))));
            }
        });
        return batches;
    }
}
