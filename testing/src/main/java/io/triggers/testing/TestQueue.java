package io.triggers.testing;

import io.lettuce.core.Range;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A test's read-only view of the delivery queue of one key prefix on a standalone Redis (see
 * {@code QueueKeys} for the layout): where a delivery is queued, whether it is pending.
 */
public final class TestQueue {

    /** One queued delivery: its endpoint, its entry on the endpoint's stream, and the shard's key base. */
    public record Entry(String endpointId, String entryId, String base) {
    }

    private final RedisCommands<String, String> redis;
    private final String prefix;

    public TestQueue(RedisCommands<String, String> redis, String prefix) {
        this.redis = redis;
        this.prefix = prefix;
    }

    /** Every key of the queue and the rest of this prefix. */
    public List<String> keys() {
        return redis.keys(prefix + ":*");
    }

    /** The queued deliveries of an event (one per endpoint still owed and queued). */
    public List<Entry> entriesOf(String eventId) {
        List<Entry> found = new ArrayList<>();
        for (String key : redis.keys(prefix + ":{" + prefix + ".*}:queued:*")) {
            String entryId = redis.hget(key, eventId);
            if (entryId != null) {
                int at = key.lastIndexOf(":queued:");
                found.add(new Entry(key.substring(at + ":queued:".length()), entryId, key.substring(0, at + 1)));
            }
        }
        return found;
    }

    /** The event's first queued delivery, if any. */
    public Optional<Entry> entryOf(String eventId) {
        return entriesOf(eventId).stream().findFirst();
    }

    /** The fields of a queued delivery's stream entry (e = event, r = request id, t = trace context). */
    public java.util.Map<String, String> fieldsOf(Entry entry) {
        List<io.lettuce.core.StreamMessage<String, String>> messages =
                redis.xrange(entry.base() + "s:" + entry.endpointId(), Range.create(entry.entryId(), entry.entryId()));
        return messages.isEmpty() ? java.util.Map.of() : messages.get(0).getBody();
    }

    /** Whether any delivery of the event is queued (not yet acknowledged). */
    public boolean isQueued(String eventId) {
        return !entriesOf(eventId).isEmpty();
    }

    /** Whether the delivery was handed out to a worker and not acknowledged (in flight or waiting for a retry). */
    public boolean isPending(Entry entry) {
        if (redis.exists(entry.base() + "s:" + entry.endpointId()) == 0) {
            return false; // every delivery of the endpoint was acknowledged, and its keys deleted
        }
        return !redis.xpending(entry.base() + "s:" + entry.endpointId(), "deliverers", Range.create(entry.entryId(), entry.entryId()),
                io.lettuce.core.Limit.from(1)).isEmpty();
    }

    /** When a delivery waiting for a retry is due (Unix ms), if it is waiting. */
    public Optional<Long> dueAt(Entry entry) {
        Double score = redis.zscore(entry.base() + "due:" + entry.endpointId(), entry.entryId());
        return Optional.ofNullable(score).map(Double::longValue);
    }

    /** The events with any delivery queued. */
    public java.util.Set<String> queuedEventIds() {
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (String key : redis.keys(prefix + ":{" + prefix + ".*}:queued:*")) {
            ids.addAll(redis.hkeys(key));
        }
        return ids;
    }

    /** How many deliveries are queued (each event once per endpoint), over every shard. */
    public long queuedCount() {
        long count = 0;
        for (String key : redis.keys(prefix + ":{" + prefix + ".*}:queued:*")) {
            count += redis.hlen(key);
        }
        return count;
    }

    /** How many entries the endpoint streams hold, over every shard (one per queued delivery unless one was queued twice). */
    public long streamEntries() {
        long count = 0;
        for (String key : redis.keys(prefix + ":{" + prefix + ".*}:s:*")) {
            count += redis.xlen(key);
        }
        return count;
    }

    /** Whether any endpoint stream holds an entry added between the two times (Unix ms), or, with {@code pendingOnly}, a pending one. */
    public boolean anyBetween(long fromMillis, long toMillis, boolean pendingOnly) {
        Range<String> range = Range.create(fromMillis + "-0", toMillis + "-" + Long.MAX_VALUE);
        for (String key : redis.keys(prefix + ":{" + prefix + ".*}:s:*")) {
            boolean found = pendingOnly
                    ? !redis.xpending(key, "deliverers", range, io.lettuce.core.Limit.from(1)).isEmpty()
                    : !redis.xrange(key, range, io.lettuce.core.Limit.from(1)).isEmpty();
            if (found) {
                return true;
            }
        }
        return false;
    }

    /** Deletes every key of this prefix, as a Redis restarted without persistence would have lost them. */
    public void deleteAll() {
        List<String> keys = keys();
        if (!keys.isEmpty()) {
            redis.del(keys.toArray(String[]::new));
        }
    }

    /** Entries on the dead-letter stream. */
    public long deadLetters() {
        return redis.xlen(prefix + ":dead");
    }
}
