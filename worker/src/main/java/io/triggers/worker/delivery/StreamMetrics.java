package io.triggers.worker.delivery;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Samples the stream every 5 s (gauges must not call Redis themselves):
 * {@code triggers_stream_length} (entries outstanding: acknowledged ones are deleted),
 * {@code triggers_stream_pending} (read by a worker, not yet acknowledged: in flight or waiting for
 * a retry), {@code triggers_stream_lag} (not yet read by any worker; -1 when Redis cannot tell) and
 * {@code triggers_dead_letters} (entries on the dead-letter stream, capped at about 100 000).
 */
@Component
final class StreamMetrics extends PeriodicJob {

    private static final Logger log = LoggerFactory.getLogger(StreamMetrics.class);
    private static final Duration EVERY = Duration.ofSeconds(5);

    private final DeliveryStream stream;
    private final AtomicLong length = new AtomicLong();
    private final AtomicLong pending = new AtomicLong();
    private final AtomicLong lag = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();

    StreamMetrics(DeliveryStream stream, MeterRegistry meters) {
        super(log, "sampling stream metrics");
        this.stream = stream;
        gauge(meters, "triggers.stream.length", length, "Entries on the events stream (outstanding deliveries)");
        gauge(meters, "triggers.stream.pending", pending, "Entries read by a worker and not yet acknowledged");
        gauge(meters, "triggers.stream.lag", lag, "Entries not yet read by any worker (-1: unknown)");
        gauge(meters, "triggers.dead.letters", deadLetters, "Entries on the dead-letter stream");
    }

    private static void gauge(MeterRegistry meters, String name, AtomicLong value, String description) {
        Gauge.builder(name, value, AtomicLong::get).description(description).register(meters);
    }

    @Override
    protected Duration every() {
        return EVERY;
    }

    @Override
    protected Mono<?> tick() {
        return stream.stats().doOnNext(stats -> {
            length.set(stats.length());
            pending.set(stats.pending());
            lag.set(stats.lag());
            deadLetters.set(stats.deadLetters());
        });
    }
}
