package io.triggers.worker.jobs;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.triggers.worker.queue.DeliveryQueue;
import io.triggers.worker.queue.DeliveryQueue.Stats;
import io.triggers.worker.scheduling.InFlight;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Samples the queue every 5 s (gauges must not call Redis themselves), added up over all shards,
 * with no organization or endpoint labels:
 * <ul>
 * <li>{@code triggers_queue_deliveries{state}}: {@code queued} (never attempted, waiting their turn;
 *     those of a busy endpoint stay parked here), {@code due} (a retry whose time has come, or a
 *     dead replica's delivery, waiting its turn), {@code waiting} (a retry step or a pause not over)
 *     and {@code in_flight} (handed out to a worker, leased);</li>
 * <li>{@code triggers_queue_endpoints{state}}: endpoints with deliveries queued, by whether they are
 *     {@code ready} (taking turns), {@code throttled} (over {@code rate_limit_per_second}),
 *     {@code paused} (Retry-After, 429/503, open circuit) or {@code waiting} (only retries not due
 *     yet, or everything in flight);</li>
 * <li>{@code triggers_deliveries_in_flight}: deliveries this replica is making now;</li>
 * <li>{@code triggers_dead_letters}: entries on the dead-letter stream (capped at about 100 000).</li>
 * </ul>
 */
@Component
final class QueueMetrics extends PeriodicJob {

    private static final Logger log = LoggerFactory.getLogger(QueueMetrics.class);
    private static final Duration EVERY = Duration.ofSeconds(5);

    private final DeliveryQueue queue;
    private final AtomicReference<Stats> stats = new AtomicReference<>(new Stats(0, 0, 0, 0, 0, 0, 0, 0));
    private volatile long deadLetters;

    QueueMetrics(DeliveryQueue queue, InFlight inFlight, MeterRegistry meters) {
        super(log, "sampling queue metrics");
        this.queue = queue;
        deliveries(meters, "queued", Stats::queued);
        deliveries(meters, "due", Stats::due);
        deliveries(meters, "waiting", Stats::waiting);
        deliveries(meters, "in_flight", Stats::inFlight);
        endpoints(meters, "ready", Stats::endpointsReady);
        endpoints(meters, "throttled", Stats::endpointsThrottled);
        endpoints(meters, "paused", Stats::endpointsPaused);
        endpoints(meters, "waiting", Stats::endpointsWaiting);
        Gauge.builder("triggers.deliveries.in.flight", inFlight, InFlight::size)
                .description("Deliveries this replica is making now")
                .register(meters);
        Gauge.builder("triggers.dead.letters", this, metrics -> metrics.deadLetters)
                .description("Entries on the dead-letter stream")
                .register(meters);
    }

    private void deliveries(MeterRegistry meters, String state, ToLongFunction<Stats> value) {
        Gauge.builder("triggers.queue.deliveries", stats, current -> value.applyAsLong(current.get()))
                .description("Deliveries in the queue, by state (all shards, all organizations)")
                .tag("state", state)
                .register(meters);
    }

    private void endpoints(MeterRegistry meters, String state, ToLongFunction<Stats> value) {
        Gauge.builder("triggers.queue.endpoints", stats, current -> value.applyAsLong(current.get()))
                .description("Endpoints with deliveries in the queue, by state")
                .tag("state", state)
                .register(meters);
    }

    @Override
    protected Duration every() {
        return EVERY;
    }

    @Override
    protected Mono<?> tick() {
        return queue.stats().doOnNext(stats::set)
                .then(queue.deadLetters().doOnNext(count -> deadLetters = count));
    }
}
