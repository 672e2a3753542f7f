package io.triggers.worker.scheduling;

import io.triggers.shared.logging.ThrottledLog;
import io.triggers.shared.queue.QueueKeys;
import io.triggers.worker.WorkerProperties;
import io.triggers.worker.queue.DeliveryQueue;
import io.triggers.worker.queue.Picked;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The deliveries this replica is working on, and how many per endpoint. Their leases are extended
 * every {@code triggers.worker.heartbeat-every} (one script call per shard), so no other replica
 * takes a delivery that is still being made here, however slow the receiver. When this replica
 * dies the heartbeats stop, the leases run out, and the queue hands the deliveries out again.
 */
@Component
public final class InFlight implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(InFlight.class);
    private static final ThrottledLog failures = new ThrottledLog(log, Duration.ofSeconds(10));

    private final Map<String, Picked> deliveries = new ConcurrentHashMap<>();
    /** Deliveries whose attempt is over (only their bookkeeping is left): they no longer count against their endpoint. */
    private final Map<String, Boolean> attempted = new ConcurrentHashMap<>();
    private final Map<UUID, AtomicInteger> perEndpoint = new ConcurrentHashMap<>();
    /** Deliveries in flight per shard (until their bookkeeping is done: that is when their slot comes free). */
    private final AtomicIntegerArray perShard;
    private final DeliveryQueue queue;
    private final WorkerProperties properties;
    private final Sinks.Many<Boolean> drained = Sinks.many().replay().latest();
    private volatile Disposable heartbeat;

    InFlight(DeliveryQueue queue, WorkerProperties properties) {
        this.queue = queue;
        this.properties = properties;
        this.perShard = new AtomicIntegerArray(QueueKeys.MAX_SHARDS); // any shard of any layout
    }

    private static String key(Picked delivery) {
        return delivery.endpointId() + "/" + delivery.entryId();
    }

    /** Starts tracking a delivery; false when it is already being worked on here. */
    public boolean begin(Picked delivery) {
        if (deliveries.putIfAbsent(key(delivery), delivery) != null) {
            return false;
        }
        perEndpoint.computeIfAbsent(delivery.endpointId(), id -> new AtomicInteger()).incrementAndGet();
        perShard.incrementAndGet(delivery.shard());
        return true;
    }

    /**
     * The delivery's HTTP attempt is over (or was not made): its endpoint may be given another one
     * while this one's outcome is being stored, so storing does not slow the endpoint down.
     */
    public void attemptEnded(Picked delivery) {
        String key = key(delivery);
        if (deliveries.containsKey(key) && attempted.putIfAbsent(key, Boolean.TRUE) == null) {
            perEndpoint.computeIfPresent(delivery.endpointId(), (id, count) -> count.decrementAndGet() <= 0 ? null : count);
        }
    }

    public void end(Picked delivery) {
        String key = key(delivery);
        if (deliveries.remove(key) == null) {
            return;
        }
        perShard.decrementAndGet(delivery.shard());
        if (attempted.remove(key) == null) {
            perEndpoint.computeIfPresent(delivery.endpointId(), (id, count) -> count.decrementAndGet() <= 0 ? null : count);
        }
        if (deliveries.isEmpty()) {
            drained.tryEmitNext(true);
        }
    }

    public int size() {
        return deliveries.size();
    }

    /** Deliveries of {@code shard} in flight here. */
    public int inShard(int shard) {
        return perShard.get(shard);
    }

    /** Deliveries in flight per endpoint, for the endpoints with any. */
    public Map<UUID, Integer> perEndpoint() {
        Map<UUID, Integer> counts = new HashMap<>();
        perEndpoint.forEach((endpoint, count) -> {
            int n = count.get();
            if (n > 0) {
                counts.put(endpoint, n);
            }
        });
        return counts;
    }

    /** Completes once nothing is in flight. */
    public Mono<Void> whenDrained() {
        return deliveries.isEmpty() ? Mono.empty() : drained.asFlux().filter(empty -> deliveries.isEmpty()).next().then();
    }

    /** Extends the leases of everything in flight now. */
    Mono<Long> renewAll() {
        Map<Integer, List<Picked>> byShard = new HashMap<>();
        deliveries.values().forEach(delivery -> byShard.computeIfAbsent(delivery.shard(), shard -> new ArrayList<>()).add(delivery));
        long until = System.currentTimeMillis() + properties.lease().toMillis();
        return Flux.fromIterable(byShard.entrySet())
                .concatMap(shard -> queue.renew(shard.getKey(), shard.getValue(), until))
                .reduce(0L, Long::sum);
    }

    @Override
    public void start() {
        heartbeat = Flux.interval(properties.heartbeatEvery())
                .onBackpressureDrop()
                .concatMap(tick -> renewAll().onErrorResume(e -> {
                    failures.warn("could not extend the leases of {} deliveries in flight: {}", deliveries.size(), e.toString());
                    return Mono.empty();
                }), 1)
                .subscribe();
    }

    @Override
    public void stop() {
        Disposable running = heartbeat;
        heartbeat = null;
        if (running != null) {
            running.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        return heartbeat != null;
    }

    /** Stops after the dispatcher (a lower phase stops later), so leases are kept while it drains. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 100;
    }
}
