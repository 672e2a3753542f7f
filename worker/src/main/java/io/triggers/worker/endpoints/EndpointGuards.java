package io.triggers.worker.endpoints;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.triggers.shared.config.DeliveryProperties;
import io.triggers.worker.delivery.AttemptOutcome;
import java.time.Duration;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * A circuit breaker per endpoint (resilience4j): an endpoint failing most of its recent attempts
 * is paused for {@code circuit-open-for} (in the queue, for every replica), then tried again with
 * a few trial calls. How many deliveries go to one endpoint at once is bounded by the queue itself
 * (its {@code max_in_flight} per replica), and its rate by {@code rate_limit_per_second}.
 *
 * <p>Breakers are dropped once their endpoint has had no delivery for {@code endpoint-state-idle}
 * (Caffeine), so a worker does not keep every endpoint it ever called.
 */
@Component
public final class EndpointGuards {

    private final Cache<UUID, CircuitBreaker> breakers;
    private final CircuitBreakerConfig breakerConfig;
    private final Duration openFor;

    @Autowired
    EndpointGuards(DeliveryProperties delivery) {
        this(delivery, Ticker.systemTicker());
    }

    /** With the cache's clock given (tests move it to make endpoints idle). */
    public EndpointGuards(DeliveryProperties delivery, Ticker ticker) {
        this.openFor = delivery.circuitOpenFor();
        this.breakerConfig = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(20)
                .minimumNumberOfCalls(5)
                .failureRateThreshold(50)
                .waitDurationInOpenState(delivery.circuitOpenFor())
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .permittedNumberOfCallsInHalfOpenState(2)
                .recordExceptions(FailedAttempt.class)
                .build();
        this.breakers = Caffeine.newBuilder()
                .ticker(ticker)
                .scheduler(Scheduler.systemScheduler())
                .expireAfterAccess(delivery.endpointStateIdle())
                .build();
    }

    /** How many endpoints' breakers are in {@code state} (for the metrics). */
    public int countInState(CircuitBreaker.State state) {
        return (int) breakers.asMap().values().stream().filter(breaker -> breaker.getState() == state).count();
    }

    /** How many endpoints this replica keeps state for (for the metrics). */
    public long endpointsKept() {
        return breakers.estimatedSize();
    }

    /** Drops idle endpoints now, rather than when the cache's scheduler gets to it (for tests). */
    public void dropIdle() {
        breakers.cleanUp();
    }

    public CircuitBreaker breaker(UUID endpointId) {
        return breakers.get(endpointId, id -> CircuitBreaker.of(id.toString(), breakerConfig));
    }

    /** How long an endpoint whose circuit is open is paused. */
    public Duration openFor() {
        return openFor;
    }

    /** Thrown inside the breaker for an attempt that counts as the endpoint failing. */
    public static final class FailedAttempt extends RuntimeException {

        public final AttemptOutcome outcome;

        public FailedAttempt(AttemptOutcome outcome) {
            super("delivery failed", null, false, false);
            this.outcome = outcome;
        }
    }
}
