package io.triggers.worker.scheduling;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.triggers.shared.logging.ThrottledLog;
import io.triggers.shared.queue.QueueKeys;
import io.triggers.shared.queue.ShardLayouts;
import io.triggers.worker.WorkerProperties;
import io.triggers.worker.delivery.DeliveryProcessor;
import io.triggers.worker.queue.DeliveryQueue;
import io.triggers.worker.queue.DeliveryQueue.PickResult;
import io.triggers.worker.queue.Picked;
import io.triggers.worker.queue.RedisConnections;
import io.triggers.worker.storage.DatabaseGate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;

/**
 * Takes deliveries from the queue's shards and starts them, at most {@code concurrency} at a
 * time, on its own thread (the only place blocking Redis calls are made). A shard is asked again
 * when it may have something for this replica: it handed out a full batch last time, the api
 * published that an endpoint of it got work, a delivery of it ended (an endpoint's slot came
 * free), or its earliest timer (a retry, a lease, a pause or a rate interval) has come; and at
 * least every {@code read-block} in any case. Each pick is fair between organizations and their
 * endpoints (see pick.lua). Between shards, each round asks first the shard with the fewest
 * deliveries in flight here (ties in turn): when the slots are all taken and come free one by one,
 * a shard whose organizations send a little gets its next delivery started before a shard with a
 * backlog takes another slot, instead of waiting for its turn in a rotation. The shards are those
 * of every shard layout known ({@link ShardLayouts#consumed()}, looked up each round), so what an
 * earlier shard count queued drains while the count changes.
 *
 * <p>Stopping (SIGTERM) is graceful: no new picks, deliveries in flight get up to
 * {@code shutdown-timeout} to finish, and the rest are handed out again when their leases run out.
 */
@Component
public final class Dispatcher implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    private static final ThrottledLog pickFailures = new ThrottledLog(log, Duration.ofSeconds(10));
    private static final ThrottledLog notProcessed = new ThrottledLog(log, Duration.ofSeconds(10));
    private static final int BATCH = 32;

    private final DeliveryQueue queue;
    private final RedisConnections redis;
    private final DeliveryProcessor processor;
    private final InFlight inFlight;
    private final WorkerProperties properties;
    private final DatabaseGate gate;
    private final ShardLayouts layouts;
    /** Per shard (of every shard there can be): 1 when something happened that may give this replica work there. */
    private final AtomicIntegerArray poked = new AtomicIntegerArray(QueueKeys.MAX_SHARDS);
    /** Per shard, for the dispatcher's thread only; grown when more shards are to be looked at. */
    private long[] nextLook = new long[0];
    private boolean[] busy = new boolean[0];
    /** Counts events that may give this replica work; the dispatcher sleeps until it changes (lock-free: signalled from event loops). */
    private final AtomicLong changes = new AtomicLong();
    private volatile boolean running;
    private volatile Thread thread;
    private volatile Duration shutdownOverride;
    private final Map<Picked, Disposable> working = new ConcurrentHashMap<>();

    Dispatcher(DeliveryQueue queue, RedisConnections redis, DeliveryProcessor processor, InFlight inFlight,
               WorkerProperties properties, DatabaseGate gate) {
        this.queue = queue;
        this.redis = redis;
        this.processor = processor;
        this.inFlight = inFlight;
        this.properties = properties;
        this.gate = gate;
        this.layouts = queue.layouts();
    }

    /** Something may have work for this replica in {@code shard}: look there on the next round. */
    public void poke(int shard) {
        if (shard >= 0 && shard < QueueKeys.MAX_SHARDS) {
            poked.set(shard, 1);
        }
        signal();
    }

    private void signal() {
        changes.incrementAndGet();
        Thread loop = thread;
        if (loop != null) {
            LockSupport.unpark(loop);
        }
    }

    @Override
    public void start() {
        running = true;
        redis.pubSub().addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                try {
                    poke(Integer.parseInt(message));
                } catch (NumberFormatException ignored) {
                    // not ours
                }
            }
        });
        try {
            redis.pubSub().sync().subscribe(queue.keys().wake());
        } catch (RuntimeException e) {
            // Not fatal: every shard is looked at every read-block anyway.
            log.warn("could not subscribe to the wake-up channel: {}", e.toString());
        }
        try {
            Long deleted = queue.deleteLegacyStream().block(Duration.ofSeconds(5));
            if (deleted != null && deleted > 0) {
                log.info("deleted the first version's stream {}; the reconciler queues what it held", queue.keys().legacyEvents());
            }
        } catch (RuntimeException e) {
            log.debug("could not delete the legacy stream: {}", e.toString());
        }
        Thread loop = new Thread(this::run, "triggers-dispatcher");
        loop.setDaemon(true);
        thread = loop;
        loop.start();
        log.info("dispatching from {} shards (concurrency {}, lease {})", layouts.consumed(), properties.concurrency(), properties.lease());
    }

    private void run() {
        int first = 0;
        int[] order = new int[0];
        int[] load = new int[0];
        while (running) {
            int shards = layouts.consumed();
            if (shards > nextLook.length) {
                // A shard looked at for the first time is looked at at once (its nextLook is 0).
                nextLook = Arrays.copyOf(nextLook, shards);
                busy = Arrays.copyOf(busy, shards);
                order = new int[shards];
                load = new int[shards];
            }
            first = first % shards;
            long seen = changes.get();
            long wakeAt = System.currentTimeMillis() + properties.readBlock().toMillis();
            boolean pickedAny = false;
            if (gate.isOpen()) {
                try {
                    orderByLoad(first, shards, inFlight::inShard, order, load);
                    for (int i = 0; i < shards && running; i++) {
                        int shard = order[i];
                        int free = properties.concurrency() - inFlight.size();
                        if (free <= 0) {
                            break;
                        }
                        long now = System.currentTimeMillis();
                        boolean wanted = poked.getAndSet(shard, 0) == 1 || busy[shard] || now >= nextLook[shard];
                        if (wanted) {
                            PickResult result = queue.pick(shard, Math.min(free, BATCH), properties.lease(), inFlight.perEndpoint());
                            result.picked().forEach(this::start);
                            pickedAny |= !result.picked().isEmpty();
                            busy[shard] = result.readyLeft() && result.picked().size() == Math.min(free, BATCH);
                            long timer = result.nextTimerMillis() > 0 ? result.nextTimerMillis() : Long.MAX_VALUE;
                            nextLook[shard] = Math.min(timer, now + properties.readBlock().toMillis());
                        }
                        wakeAt = Math.min(wakeAt, busy[shard] ? now : nextLook[shard]);
                    }
                } catch (RuntimeException e) {
                    pickFailures.warn("picking deliveries failed, trying again: {}", e.toString());
                    wakeAt = System.currentTimeMillis() + 500;
                    pickedAny = false;
                }
            } else {
                wakeAt = System.currentTimeMillis() + 200;
            }
            first = (first + 1) % shards;
            if (!pickedAny) {
                awaitChange(seen, wakeAt);
            }
        }
    }

    /**
     * Fills {@code order[0..shards-1]} with the shards {@code 0..shards-1}, fewest deliveries in
     * flight ({@code inFlight}) first, ties in turn from {@code first}; {@code load} is scratch space.
     */
    static void orderByLoad(int first, int shards, IntUnaryOperator inFlight, int[] order, int[] load) {
        for (int i = 0; i < shards; i++) {
            int shard = (first + i) % shards;
            int inShard = inFlight.applyAsInt(shard);
            int j = i;
            while (j > 0 && load[j - 1] > inShard) { // insertion sort: stable, and 16 shards are few
                order[j] = order[j - 1];
                load[j] = load[j - 1];
                j--;
            }
            order[j] = shard;
            load[j] = inShard;
        }
    }

    private void awaitChange(long seen, long wakeAt) {
        long wait = wakeAt - System.currentTimeMillis();
        while (running && changes.get() == seen && wait > 0) {
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(wait));
            if (Thread.interrupted()) {
                running = false;
            }
            wait = wakeAt - System.currentTimeMillis();
        }
    }

    private void start(Picked delivery) {
        if (!inFlight.begin(delivery)) {
            return;
        }
        Disposable.Swap slot = Disposables.swap();
        working.put(delivery, slot);
        slot.update(processor.process(delivery, () -> {
                    inFlight.attemptEnded(delivery);
                    poke(delivery.shard());
                })
                .onErrorResume(e -> {
                    // Not settled: the delivery is handed out again when its lease runs out.
                    notProcessed.warn("delivery of event {} to endpoint {} not processed, left to its lease: {}",
                            delivery.eventId(), delivery.endpointId(), e.toString());
                    return Mono.empty();
                })
                .doFinally(signal -> {
                    working.remove(delivery);
                    inFlight.end(delivery);
                    poke(delivery.shard());
                })
                .subscribe());
    }

    @Override
    public void stop() {
        running = false;
        signal();
        Thread loop = thread;
        if (loop == null) {
            return;
        }
        Duration timeout = shutdownOverride != null ? shutdownOverride : properties.shutdownTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            loop.join(Math.max(1, timeout.toMillis()));
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            inFlight.whenDrained().block(left.isZero() ? Duration.ofMillis(1) : left);
            log.info("stopped dispatching");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IllegalStateException notDrained) {
            log.warn("{} deliveries still in flight after {}; they are handed out again when their leases run out",
                    inFlight.size(), timeout);
            working.values().forEach(Disposable::dispose);
        } finally {
            thread = null;
        }
    }

    /**
     * Stops within {@code deadline}, cutting off whatever is still in flight then (it is handed out
     * again when its lease runs out). For operators' tooling and tests of crash recovery.
     */
    public void abandon(Duration deadline) {
        shutdownOverride = deadline;
        stop();
    }

    @Override
    public boolean isRunning() {
        return thread != null;
    }

    /** Stops before the lease heartbeat (a higher phase stops earlier). */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 10;
    }
}
