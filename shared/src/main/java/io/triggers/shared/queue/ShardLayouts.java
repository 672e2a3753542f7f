package io.triggers.shared.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The shard layouts in use, so that the shard count ({@code TRIGGERS_REDIS_SHARDS}) can change
 * without downtime.
 *
 * <p>Every api and worker replica announces its own shard count in {@link QueueKeys#layouts()}
 * (shard count to now) every {@link #announceEvery()}, and reads back what the others announced
 * ({@link #update}). New deliveries go to the organization's shard of the replica's own layout.
 * Workers look at the shards {@code 0..consumed()-1}, enough for every layout known, so what an
 * earlier layout queued drains where it is (retries wait in their own shard, on their own
 * schedule). The ENQUEUE script leaves alone a delivery queued already, but it only sees its own
 * shard: before queueing deliveries that may be queued already (the reconciler, replay), replicas
 * ask the organization's shard of every other layout known ({@link #elsewhere}, the PRESENT
 * script) and leave out what is there. A layout nobody has announced for {@code staleAfter} is
 * retired (its field deleted) by a worker once no shard holds deliveries of an organization that
 * only such a layout put there ({@link #explains}).
 */
public final class ShardLayouts {

    /** What the registry held at the last look, and the shards to look at for it. */
    private record State(Map<Integer, Long> announced, int consumed) {
    }

    private final int own;
    private final Duration staleAfter;
    private volatile State state;

    /**
     * @param own        this replica's shard count
     * @param staleAfter how long after its last announcement a layout counts as no longer in use
     */
    public ShardLayouts(int own, Duration staleAfter) {
        if (own < 1 || own > QueueKeys.MAX_SHARDS) {
            throw new IllegalArgumentException("the shard count must be between 1 and " + QueueKeys.MAX_SHARDS);
        }
        if (staleAfter == null || staleAfter.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("triggers.redis.layout-stale-after must be at least 1s");
        }
        this.own = own;
        this.staleAfter = staleAfter;
        this.state = new State(Map.of(), own);
    }

    /** This replica's shard count. */
    public int own() {
        return own;
    }

    /** How often a replica announces its layout: six times per {@code staleAfter}. */
    public Duration announceEvery() {
        return staleAfter.dividedBy(6);
    }

    /** The field this replica announces its layout under. */
    public String ownField() {
        return Integer.toString(own);
    }

    /** Takes in what the registry ({@link QueueKeys#layouts()}) holds; fields that are not layouts are ignored. */
    public void update(Map<String, String> registry) {
        Map<Integer, Long> announced = new TreeMap<>();
        int consumed = own;
        for (Map.Entry<String, String> field : registry.entrySet()) {
            try {
                int shards = Integer.parseInt(field.getKey());
                long at = Long.parseLong(field.getValue());
                if (shards >= 1 && shards <= QueueKeys.MAX_SHARDS) {
                    announced.put(shards, at);
                    consumed = Math.max(consumed, shards);
                }
            } catch (NumberFormatException ignored) {
                // not a layout
            }
        }
        state = new State(announced, consumed);
    }

    /** How many shards a worker looks at: those of the largest layout known. */
    public int consumed() {
        return state.consumed();
    }

    /** Whether another layout than this replica's own is known (the shard count is changing, or its old shards are draining). */
    public boolean changing() {
        return state.announced().keySet().stream().anyMatch(shards -> shards != own);
    }

    /** The layouts other than this replica's own that nobody has announced for {@code staleAfter}. */
    public List<Integer> stale(long nowMillis) {
        List<Integer> stale = new ArrayList<>();
        state.announced().forEach((shards, at) -> {
            if (shards != own && nowMillis - at >= staleAfter.toMillis()) {
                stale.add(shards);
            }
        });
        return stale;
    }

    /** Whether a layout still in use (this replica's own, or one announced within {@code staleAfter}) puts the organization in this shard. */
    public boolean explains(int shard, UUID organizationId, long nowMillis) {
        if (QueueKeys.shardOf(organizationId, own) == shard) {
            return true;
        }
        for (Map.Entry<Integer, Long> layout : state.announced().entrySet()) {
            if (nowMillis - layout.getValue() < staleAfter.toMillis() && QueueKeys.shardOf(organizationId, layout.getKey()) == shard) {
                return true;
            }
        }
        return false;
    }

    /** The shards an organization's deliveries may be queued in: its shard in each layout known, its own layout's first. */
    public Set<Integer> shardsOf(UUID organizationId) {
        Set<Integer> shards = new LinkedHashSet<>();
        shards.add(QueueKeys.shardOf(organizationId, own));
        for (int layout : state.announced().keySet()) {
            shards.add(QueueKeys.shardOf(organizationId, layout));
        }
        return shards;
    }

    /**
     * For deliveries about to be queued in this replica's layout: the other shards, one per other
     * layout known, where each may be queued already, with the deliveries to ask about there.
     * Empty while one layout is in use.
     */
    public Map<Integer, List<QueueEntry>> elsewhere(List<QueueEntry> entries) {
        Map<Integer, List<QueueEntry>> elsewhere = new LinkedHashMap<>();
        if (!changing()) {
            return elsewhere;
        }
        for (QueueEntry entry : entries) {
            int home = QueueKeys.shardOf(entry.organizationId(), own);
            for (int shard : shardsOf(entry.organizationId())) {
                if (shard != home) {
                    elsewhere.computeIfAbsent(shard, s -> new ArrayList<>()).add(entry);
                }
            }
        }
        return elsewhere;
    }

    /** PRESENT's arguments, asking a shard about these deliveries. */
    public static List<String> presentArguments(QueueKeys keys, int shard, List<QueueEntry> entries) {
        List<String> args = new ArrayList<>(1 + entries.size() * 2);
        args.add(keys.base(shard));
        for (QueueEntry entry : entries) {
            args.add(entry.endpointId().toString());
            args.add(entry.eventId().toString());
        }
        return args;
    }

    /** Adds to {@code queued} the deliveries PRESENT's reply (one '1' or '0' each, in order) says are queued. */
    public static void collectPresent(List<QueueEntry> asked, String reply, Set<QueueEntry> queued) {
        for (int i = 0; i < asked.size() && i < reply.length(); i++) {
            if (reply.charAt(i) == '1') {
                queued.add(asked.get(i));
            }
        }
    }

    /** The deliveries that are not among {@code queued}, in order. */
    public static List<QueueEntry> without(List<QueueEntry> entries, Set<QueueEntry> queued) {
        if (queued.isEmpty()) {
            return entries;
        }
        Set<QueueEntry> skip = new HashSet<>(queued);
        return entries.stream().filter(entry -> !skip.contains(entry)).toList();
    }
}
