package io.triggers.worker.delivery;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.triggers.worker.endpoints.EndpointGuards;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;

/**
 * The worker's delivery metrics:
 * <ul>
 * <li>{@code triggers_deliveries_total{outcome="delivered|failed|dead"}}: attempts by how they
 *     ended ({@code failed} will be retried; {@code dead} will not);</li>
 * <li>{@code triggers_delivery_duration_seconds{result="success|failure"}}: one HTTP attempt,
 *     percentile histogram;</li>
 * <li>{@code triggers_delivery_latency_seconds}: from the event's ingestion to its successful
 *     delivery, percentile histogram;</li>
 * <li>{@code triggers_delivery_attempts}: attempts a delivery took, recorded when it ends
 *     (delivered or dead);</li>
 * <li>{@code triggers_circuit_breakers{state}}: endpoints whose circuit is in each state;</li>
 * <li>{@code triggers_endpoints_kept}: endpoints whose state (breaker, in-flight slots) this replica
 *     keeps; an endpoint idle for {@code endpoint-state-idle} is dropped.</li>
 * </ul>
 */
@Component
public final class DeliveryMetrics {

    private final Map<String, Counter> deliveries = new ConcurrentHashMap<>();
    private final Timer success;
    private final Timer failure;
    private final Timer latency;
    private final DistributionSummary attempts;
    private final MeterRegistry meters;

    DeliveryMetrics(MeterRegistry meters, EndpointGuards guards) {
        this.meters = meters;
        for (String outcome : new String[] {"delivered", "failed", "dead"}) {
            deliveries(outcome);
        }
        this.success = attemptTimer(meters, "success");
        this.failure = attemptTimer(meters, "failure");
        this.latency = Timer.builder("triggers.delivery.latency")
                .description("Time from an event's ingestion to its successful delivery to an endpoint")
                .publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofHours(1))
                .register(meters);
        this.attempts = DistributionSummary.builder("triggers.delivery.attempts")
                .description("Attempts a delivery took, recorded when it was delivered or died")
                .register(meters);
        for (CircuitBreaker.State state : new CircuitBreaker.State[] {
                CircuitBreaker.State.CLOSED, CircuitBreaker.State.OPEN, CircuitBreaker.State.HALF_OPEN}) {
            Gauge.builder("triggers.circuit.breakers", guards, g -> g.countInState(state))
                    .description("Endpoints whose circuit breaker (on this replica) is in the state")
                    .tag("state", state.name().toLowerCase())
                    .register(meters);
        }
        Gauge.builder("triggers.endpoints.kept", guards, EndpointGuards::endpointsKept)
                .description("Endpoints whose state (circuit breaker, in-flight slots) this replica keeps")
                .register(meters);
    }

    private static Timer attemptTimer(MeterRegistry meters, String result) {
        return Timer.builder("triggers.delivery.duration")
                .description("Duration of one delivery attempt (request sent to response read, or failure)")
                .tag("result", result)
                .publishPercentileHistogram()
                .register(meters);
    }

    private Counter deliveries(String outcome) {
        return deliveries.computeIfAbsent(outcome, key -> Counter.builder("triggers.deliveries")
                .description("Delivery attempts by outcome: delivered, failed (to be retried) or dead")
                .tag("outcome", key)
                .register(meters));
    }

    /** An attempt that got an answer or failed, and how it was recorded. */
    public void attempted(AttemptOutcome outcome, String recordedAs, int attemptNumber, Instant eventCreatedAt) {
        (outcome.delivered() ? success : failure).record(outcome.durationMs(), TimeUnit.MILLISECONDS);
        deliveries(recordedAs).increment();
        if (outcome.delivered()) {
            latency.record(Duration.between(eventCreatedAt, Instant.now()));
        }
        if (!recordedAs.equals("failed")) {
            attempts.record(attemptNumber);
        }
    }

    /** A delivery that died without an attempt (its endpoint is disabled). */
    public void diedUnattempted(int attemptsMade) {
        deliveries("dead").increment();
        attempts.record(attemptsMade);
    }
}
