package io.triggers.shared.queue;

import java.util.UUID;

/**
 * Every Redis key and channel of the delivery queue, in one place.
 *
 * <p>Organizations are spread over {@code shards} shards by their id. A shard's keys all carry the
 * hash tag {@code {<prefix>.<shard>}}, so each queue script touches one Redis Cluster slot:
 * <ul>
 * <li>{@code <base>ready}: sorted set, the organizations with deliveries to hand out, scored by
 *     how much they were served;</li>
 * <li>{@code <base>org:<organization>}: sorted set, that organization's endpoints with deliveries to
 *     hand out, likewise;</li>
 * <li>{@code <base>timers}: sorted set, endpoints by when they need looking at again (a retry
 *     comes due, a lease runs out, a pause or rate interval ends);</li>
 * <li>{@code <base>endpoints}: set, the endpoints with anything queued (for the metrics);</li>
 * <li>{@code <base>counts}: hash, shard-wide counters;</li>
 * <li>{@code <base>s:<endpoint>}: stream, the endpoint's deliveries (consumer group {@value #GROUP});</li>
 * <li>{@code <base>due:<endpoint>}: sorted set, pending entries by when they are due again;</li>
 * <li>{@code <base>lease:<endpoint>}: sorted set, entries handed out, by when their lease ends;</li>
 * <li>{@code <base>queued:<endpoint>}: hash, event id to entry id (an event is queued once per endpoint);</li>
 * <li>{@code <base>ep:<endpoint>}: hash, the endpoint's organization, limits, pause and rate state;</li>
 * <li>{@code <base>intact}: string, set by the reconciler when it starts walking every owed delivery;
 *     its absence says the shard lost its keys since (a flush, a restart without persistence).</li>
 * </ul>
 * where {@code <base>} is {@code <prefix>:{<prefix>.<shard>}:}. Outside the shards:
 * {@code <prefix>:dead} (the dead-letter stream), {@code <prefix>:wake} (the channel the api
 * publishes a shard number on when an endpoint gets work), {@code <prefix>:lock:<name>}, and
 * {@code <prefix>:layouts} (hash: each shard count in use to when a replica last announced it; see
 * {@link ShardLayouts}).
 *
 * @param prefix the key prefix, without the trailing colon
 * @param shards how many shards organizations are spread over
 */
public record QueueKeys(String prefix, int shards) {

    /** The consumer group of every endpoint stream. */
    public static final String GROUP = "deliverers";

    /** The most shards there can be (as many as Redis Cluster has slots). */
    public static final int MAX_SHARDS = 16384;

    public QueueKeys {
        if (prefix == null || prefix.isBlank() || prefix.contains("{") || prefix.contains("}")) {
            throw new IllegalArgumentException("the Redis key prefix must not be blank nor contain braces");
        }
        if (shards < 1 || shards > MAX_SHARDS) {
            throw new IllegalArgumentException("triggers.redis.shards must be between 1 and 16384");
        }
    }

    /** The shard an organization's deliveries are queued in. */
    public int shardOf(UUID organizationId) {
        return shardOf(organizationId, shards);
    }

    /** The shard an organization's deliveries are queued in when there are {@code shards} shards. */
    public static int shardOf(UUID organizationId, int shards) {
        return Math.floorMod(organizationId.getLeastSignificantBits() ^ organizationId.getMostSignificantBits(), shards);
    }

    /** The start of every key of a shard: {@code <prefix>:{<prefix>.<shard>}:}. */
    public String base(int shard) {
        return prefix + ":{" + prefix + "." + shard + "}:";
    }

    /** The shard's ready organizations: the key every queue script is called with. */
    public String ready(int shard) {
        return base(shard) + "ready";
    }

    /** An endpoint's stream. */
    public String stream(int shard, UUID endpointId) {
        return base(shard) + "s:" + endpointId;
    }

    /** The shard's marker that its keys have been kept since the reconciler's last full walk. */
    public String intact(int shard) {
        return base(shard) + "intact";
    }

    /** The dead-letter stream. */
    public String dead() {
        return prefix + ":dead";
    }

    /** The channel a shard number is published on when an endpoint of it gets work. */
    public String wake() {
        return prefix + ":wake";
    }

    /** The hash of shard layouts in use: shard count to when a replica last announced it (Unix ms). */
    public String layouts() {
        return prefix + ":layouts";
    }

    /** A lock held by one worker replica at a time. */
    public String lock(String name) {
        return prefix + ":lock:" + name;
    }

    /** The single stream of the first version, drained and deleted by workers of this one. */
    public String legacyEvents() {
        return prefix + ":events";
    }
}
