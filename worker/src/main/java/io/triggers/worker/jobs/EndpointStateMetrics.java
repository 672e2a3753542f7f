package io.triggers.worker.jobs;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * {@code triggers_endpoints{state}}, all organizations, from PostgreSQL every 30 s:
 * {@code disabled} (the service disabled them: 410 Gone, or failing too long) and {@code failing}
 * (enabled, their last attempt failed). Every replica reports the same numbers: alert on their max.
 */
@Component
final class EndpointStateMetrics extends PeriodicJob {

    private static final Logger log = LoggerFactory.getLogger(EndpointStateMetrics.class);
    private static final String COUNT = """
            SELECT count(*) FILTER (WHERE NOT enabled AND disabled_reason IS NOT NULL) AS disabled,
                   count(*) FILTER (WHERE enabled AND failing_since IS NOT NULL) AS failing
            FROM endpoints
            """;

    private final DatabaseClient db;
    private final AtomicLong disabled = new AtomicLong();
    private final AtomicLong failing = new AtomicLong();

    EndpointStateMetrics(DatabaseClient db, MeterRegistry meters) {
        super(log, "counting endpoint states");
        this.db = db;
        Gauge.builder("triggers.endpoints", disabled, AtomicLong::get).tag("state", "disabled")
                .description("Endpoints by state, all organizations: disabled by the service, or enabled and failing (sampled every 30 s)")
                .register(meters);
        Gauge.builder("triggers.endpoints", failing, AtomicLong::get).tag("state", "failing")
                .description("Endpoints by state, all organizations: disabled by the service, or enabled and failing (sampled every 30 s)")
                .register(meters);
    }

    @Override
    protected Duration first() {
        return Duration.ofSeconds(1);
    }

    @Override
    protected Duration every() {
        return Duration.ofSeconds(30);
    }

    @Override
    protected Mono<?> tick() {
        return db.sql(COUNT).map(row -> {
            disabled.set(row.get("disabled", Long.class));
            failing.set(row.get("failing", Long.class));
            return true;
        }).one();
    }
}
