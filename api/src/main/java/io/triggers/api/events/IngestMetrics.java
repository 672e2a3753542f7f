package io.triggers.api.events;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.triggers.api.events.EventsController.BatchItemResult;
import io.triggers.api.events.EventsController.BatchResult;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Ingestion metrics, recorded as each ingest answer is about to be sent:
 * <ul>
 * <li>{@code triggers_events_ingested_total{outcome, reason}}: every submitted event (each batch
 *     item on its own) as {@code created}, {@code replayed} or {@code rejected}, with the error code
 *     as the reason ({@code none} when accepted);</li>
 * <li>{@code triggers_ingest_duration_seconds{kind="single|batch"}}: time from the request reaching
 *     the api to its answer, as a percentile histogram.</li>
 * </ul>
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 2)
public final class IngestMetrics implements WebFilter {

    /** Exchange attribute: the error code of an answer that is an error (set by the error handler). */
    public static final String ERROR_CODE = IngestMetrics.class.getName() + ".errorCode";
    /** Exchange attribute: a batch's per-item results (set by the controller). */
    static final String BATCH_RESULT = IngestMetrics.class.getName() + ".batchResult";

    private final MeterRegistry meters;
    private final Timer singleDuration;
    private final Timer batchDuration;
    private final Map<String, Counter> ingested = new ConcurrentHashMap<>();

    public IngestMetrics(MeterRegistry meters) {
        this.meters = meters;
        this.singleDuration = duration(meters, "single");
        this.batchDuration = duration(meters, "batch");
        for (String outcome : new String[] {"created", "replayed"}) {
            counter(outcome, "none");
        }
    }

    private static Timer duration(MeterRegistry meters, String kind) {
        return Timer.builder("triggers.ingest.duration")
                .description("Time from an ingest request reaching the api to its answer")
                .tag("kind", kind)
                .publishPercentileHistogram()
                .register(meters);
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (exchange.getRequest().getMethod() != HttpMethod.POST) {
            return chain.filter(exchange);
        }
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        boolean single = path.equals("/v1/events");
        if (!single && !path.equals("/v1/events/batch")) {
            return chain.filter(exchange);
        }
        long started = System.nanoTime();
        exchange.getResponse().beforeCommit(() -> {
            (single ? singleDuration : batchDuration).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            record(exchange);
            return Mono.empty();
        });
        return chain.filter(exchange);
    }

    private void record(ServerWebExchange exchange) {
        Object batch = exchange.getAttribute(BATCH_RESULT);
        if (batch instanceof BatchResult result) {
            for (BatchItemResult item : result.results()) {
                counter(outcome(item.status()), item.error() == null ? "none" : item.error().code()).increment();
            }
            return;
        }
        HttpStatusCode status = exchange.getResponse().getStatusCode();
        int code = status == null ? 200 : status.value();
        String error = exchange.getAttribute(ERROR_CODE);
        counter(outcome(code), error == null ? (code < 300 ? "none" : Integer.toString(code)) : error).increment();
    }

    private static String outcome(int status) {
        return status == 201 ? "created" : status == 200 ? "replayed" : "rejected";
    }

    private Counter counter(String outcome, String reason) {
        return ingested.computeIfAbsent(outcome + "/" + reason, key -> Counter.builder("triggers.events.ingested")
                .description("Submitted events by outcome (created, replayed, rejected) and rejection reason")
                .tag("outcome", outcome)
                .tag("reason", reason)
                .register(meters));
    }
}
