package io.triggers.worker.delivery;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.triggers.shared.config.DeliveryProperties;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Schedulers;

/**
 * Isolation between endpoints: a circuit breaker per endpoint (a failing endpoint is skipped for a
 * while instead of tying up deliveries), and a bound on deliveries in flight per endpoint. A
 * delivery finding all of its endpoint's slots taken waits for one, but only for
 * {@code endpoint-slot-wait}: a busy but quick endpoint is served at full speed, while a slow one
 * holds at most its in-flight bound of this replica's delivery slots plus those waiting briefly;
 * the rest are put off to a later round (without using up a retry step).
 *
 * <p>What is kept per endpoint is dropped once the endpoint has had no delivery for
 * {@code endpoint-state-idle}, so a worker does not keep every endpoint it ever called. An endpoint
 * with a slot taken is never dropped: slots are taken and given back inside the cache's atomic
 * {@code compute}, which also sets the entry's expiry from the count it leaves (none while any is
 * taken), and the cache drops an entry only after checking that expiry under the same lock.
 */
@Component
final class EndpointGuards {

    /** One endpoint's breaker and slots. */
    private record Endpoint(CircuitBreaker breaker, Slots slots) {
    }

    private final Cache<UUID, Endpoint> endpoints;
    private final CircuitBreakerConfig breakerConfig;
    private final int maxInFlight;
    private final Duration slotWait;

    @Autowired
    EndpointGuards(DeliveryProperties delivery) {
        this(delivery, Ticker.systemTicker());
    }

    /** With the cache's clock given (tests move it to make endpoints idle). */
    EndpointGuards(DeliveryProperties delivery, Ticker ticker) {
        this.maxInFlight = delivery.maxInFlightPerEndpoint();
        this.slotWait = delivery.endpointSlotWait();
        this.breakerConfig = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(20)
                .minimumNumberOfCalls(5)
                .failureRateThreshold(50)
                .waitDurationInOpenState(delivery.circuitOpenFor())
                .permittedNumberOfCallsInHalfOpenState(2)
                .recordExceptions(FailedAttempt.class)
                .build();
        long idleNanos = delivery.endpointStateIdle().toNanos();
        this.endpoints = Caffeine.newBuilder()
                .ticker(ticker)
                // Idle endpoints are dropped when they expire, not only when the cache is next used.
                .scheduler(Scheduler.systemScheduler())
                .expireAfter(new Expiry<UUID, Endpoint>() {
                    @Override
                    public long expireAfterCreate(UUID id, Endpoint endpoint, long now) {
                        return endpoint.slots().used() > 0 ? Long.MAX_VALUE : idleNanos;
                    }

                    @Override
                    public long expireAfterUpdate(UUID id, Endpoint endpoint, long now, long remaining) {
                        return endpoint.slots().used() > 0 ? Long.MAX_VALUE : idleNanos;
                    }

                    @Override
                    public long expireAfterRead(UUID id, Endpoint endpoint, long now, long remaining) {
                        // Only taking and giving back a slot (under the entry's lock) sets the expiry: a
                        // read racing with them could otherwise write back an expiry they had replaced.
                        return remaining;
                    }
                })
                .build();
    }

    /** How many endpoints' breakers are in {@code state} (for the metrics). */
    int countInState(CircuitBreaker.State state) {
        return (int) endpoints.asMap().values().stream().filter(endpoint -> endpoint.breaker().getState() == state).count();
    }

    /** How many endpoints this replica keeps state for (for the metrics). */
    long endpointsKept() {
        return endpoints.estimatedSize();
    }

    /** Drops idle endpoints now, rather than when the cache's scheduler gets to it (for tests). */
    void dropIdle() {
        endpoints.cleanUp();
    }

    CircuitBreaker breaker(UUID endpointId) {
        return endpoints.get(endpointId, this::newEndpoint).breaker();
    }

    /**
     * Runs {@code work} in one of the endpoint's in-flight slots, once one is free, waiting at most
     * {@code endpoint-slot-wait}; empty (without running it) when none came free in time. The slot
     * is given back when the work ends, fails or is cancelled.
     */
    <T> Mono<T> withSlot(UUID endpointId, Supplier<Mono<T>> work) {
        return inSlot(endpointId, System.nanoTime() + slotWait.toNanos(), work);
    }

    /** Slots of one endpoint taken now (for tests). */
    int inFlight(UUID endpointId) {
        Endpoint endpoint = endpoints.getIfPresent(endpointId);
        return endpoint == null ? 0 : endpoint.slots().used();
    }

    /**
     * A slot is only ever taken inside the Mono that gives it back (so no cancellation can lose
     * one); a caller finding them all taken queues for a wake-up, which a released slot sends to the
     * longest waiting caller, who then tries again (on whatever the cache holds for the endpoint then).
     */
    private <T> Mono<T> inSlot(UUID endpointId, long deadline, Supplier<Mono<T>> work) {
        return Mono.defer(() -> {
            boolean[] taken = {false};
            Endpoint endpoint = endpoints.asMap().compute(endpointId, (id, kept) -> {
                Endpoint current = kept != null ? kept : newEndpoint(id);
                taken[0] = current.slots().tryTake();
                return current;
            });
            if (taken[0]) {
                return Mono.defer(work).doFinally(signal -> release(endpointId, endpoint));
            }
            long left = deadline - System.nanoTime();
            return left <= 0 ? Mono.<T>empty() : endpoint.slots().turn(left).flatMap(woken -> inSlot(endpointId, deadline, work));
        });
    }

    private void release(UUID endpointId, Endpoint endpoint) {
        endpoints.asMap().compute(endpointId, (id, kept) -> {
            endpoint.slots().release();
            return kept;
        });
        // Outside the cache's lock: the caller woken takes its slot through the cache at once.
        endpoint.slots().wakeNext();
    }

    private Endpoint newEndpoint(UUID endpointId) {
        return new Endpoint(CircuitBreaker.of(endpointId.toString(), breakerConfig), new Slots(maxInFlight));
    }

    /** One endpoint's slots: how many are taken, and who waits for one. */
    private static final class Slots {

        private final int max;
        private int used;
        private final ArrayDeque<MonoSink<Boolean>> waiting = new ArrayDeque<>();

        Slots(int max) {
            this.max = max;
        }

        synchronized int used() {
            return used;
        }

        synchronized boolean tryTake() {
            if (used < max) {
                used++;
                return true;
            }
            return false;
        }

        synchronized void release() {
            used--;
        }

        /** Emits when a slot may be free (at once if one is), empty after {@code nanos}. */
        Mono<Boolean> turn(long nanos) {
            return Mono.create(waiter -> {
                boolean free;
                synchronized (this) {
                    free = used < max;
                    if (!free) {
                        waiting.add(waiter);
                    }
                }
                if (free) {
                    // Signalled outside the lock: the caller goes on to take a slot through the cache.
                    waiter.success(true);
                    return;
                }
                Disposable timer = Schedulers.parallel().schedule(() -> {
                    if (stopWaiting(waiter)) {
                        waiter.success();
                    }
                }, nanos, TimeUnit.NANOSECONDS);
                waiter.onCancel(() -> {
                    timer.dispose();
                    if (!stopWaiting(waiter)) {
                        wakeNext(); // it may have been woken for a slot it will not take now
                    }
                });
            });
        }

        private synchronized boolean stopWaiting(MonoSink<Boolean> waiter) {
            return waiting.remove(waiter);
        }

        void wakeNext() {
            MonoSink<Boolean> next;
            synchronized (this) {
                next = waiting.poll();
            }
            if (next != null) {
                next.success(true);
            }
        }
    }

    /** Thrown inside the breaker for an attempt that counts as the endpoint failing. */
    static final class FailedAttempt extends RuntimeException {

        final AttemptOutcome outcome;

        FailedAttempt(AttemptOutcome outcome) {
            super("delivery failed", null, false, false);
            this.outcome = outcome;
        }
    }
}
