package io.triggers.worker.delivery;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.triggers.shared.config.DeliveryProperties;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
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
 */
@Component
final class EndpointGuards {

    private final CircuitBreakerRegistry breakers;
    private final ConcurrentHashMap<UUID, Slots> slots = new ConcurrentHashMap<>();
    private final int maxInFlight;
    private final Duration slotWait;

    EndpointGuards(DeliveryProperties delivery) {
        this.maxInFlight = delivery.maxInFlightPerEndpoint();
        this.slotWait = delivery.endpointSlotWait();
        this.breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(20)
                .minimumNumberOfCalls(5)
                .failureRateThreshold(50)
                .waitDurationInOpenState(delivery.circuitOpenFor())
                .permittedNumberOfCallsInHalfOpenState(2)
                .recordExceptions(FailedAttempt.class)
                .build());
    }

    /** How many endpoints' breakers are in {@code state} (for the metrics). */
    int countInState(CircuitBreaker.State state) {
        return (int) breakers.getAllCircuitBreakers().stream().filter(breaker -> breaker.getState() == state).count();
    }

    CircuitBreaker breaker(UUID endpointId) {
        return breakers.circuitBreaker(endpointId.toString());
    }

    /**
     * Runs {@code work} in one of the endpoint's in-flight slots, once one is free, waiting at most
     * {@code endpoint-slot-wait}; empty (without running it) when none came free in time. The slot
     * is given back when the work ends, fails or is cancelled.
     */
    <T> Mono<T> withSlot(UUID endpointId, Supplier<Mono<T>> work) {
        Slots endpoint = slots.computeIfAbsent(endpointId, id -> new Slots(maxInFlight));
        return endpoint.with(System.nanoTime() + slotWait.toNanos(), work);
    }

    /** Slots of one endpoint taken now (for tests). */
    int inFlight(UUID endpointId) {
        Slots endpoint = slots.get(endpointId);
        return endpoint == null ? 0 : endpoint.used();
    }

    /**
     * One endpoint's slots. A slot is only ever taken inside the Mono that gives it back (so no
     * cancellation can lose one); a caller finding them all taken queues for a wake-up, which a
     * released slot sends to the longest waiting caller, who then tries again.
     */
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

        <T> Mono<T> with(long deadline, Supplier<Mono<T>> work) {
            return Mono.defer(() -> {
                if (tryTake()) {
                    return work.get().doFinally(signal -> release());
                }
                long left = deadline - System.nanoTime();
                return left <= 0 ? Mono.<T>empty() : turn(left).flatMap(woken -> with(deadline, work));
            });
        }

        private synchronized boolean tryTake() {
            if (used < max) {
                used++;
                return true;
            }
            return false;
        }

        /** Emits when a slot may be free (at once if one is), empty after {@code nanos}. */
        private Mono<Boolean> turn(long nanos) {
            return Mono.create(waiter -> {
                synchronized (this) {
                    if (used < max) {
                        waiter.success(true);
                        return;
                    }
                    waiting.add(waiter);
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

        private void release() {
            synchronized (this) {
                used--;
            }
            wakeNext();
        }

        private void wakeNext() {
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
