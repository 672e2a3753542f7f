package io.triggers.worker.delivery;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.triggers.shared.config.DeliveryProperties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;

/**
 * Isolation between endpoints: a circuit breaker per endpoint (a failing endpoint is skipped for a
 * while instead of tying up deliveries), and a bound on deliveries in flight per endpoint (a slow
 * endpoint can hold at most that many of this replica's delivery slots; the rest wait for a retry).
 */
@Component
final class EndpointGuards {

    private final CircuitBreakerRegistry breakers;
    private final ConcurrentHashMap<UUID, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final int maxInFlight;

    EndpointGuards(DeliveryProperties delivery) {
        this.maxInFlight = delivery.maxInFlightPerEndpoint();
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

    /** Takes one of the endpoint's in-flight slots; false when all are taken. */
    boolean tryEnter(UUID endpointId) {
        AtomicInteger count = inFlight.computeIfAbsent(endpointId, id -> new AtomicInteger());
        while (true) {
            int current = count.get();
            if (current >= maxInFlight) {
                return false;
            }
            if (count.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    void leave(UUID endpointId) {
        AtomicInteger count = inFlight.get(endpointId);
        if (count != null) {
            count.decrementAndGet();
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
