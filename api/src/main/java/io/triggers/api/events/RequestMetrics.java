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
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Request metrics, recorded as each answer is about to be sent, by one filter (no Micrometer
 * observation per request: see {@link io.triggers.api.web.ObservationsOff}):
 * <ul>
 * <li>{@code http_server_requests_seconds{method, uri, status, outcome, exception}}: every request,
 *     with the route's pattern as {@code uri} ({@code /v1/events/{id}}; {@code NOT_FOUND} or
 *     {@code UNKNOWN} when no route matched), as Spring Boot's own instrumentation names it;</li>
 * <li>{@code triggers_events_ingested_total{outcome, reason}}: every submitted event (each batch
 *     item on its own) as {@code created}, {@code replayed} or {@code rejected}, with the error code
 *     as the reason ({@code none} when accepted);</li>
 * <li>{@code triggers_ingest_duration_seconds{kind="single|batch"}}: time from the request reaching
 *     the api to its answer, as a percentile histogram.</li>
 * </ul>
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 2)
public final class RequestMetrics implements WebFilter {

    /** Exchange attribute: the error code of an answer that is an error (set by the error handler). */
    public static final String ERROR_CODE = RequestMetrics.class.getName() + ".errorCode";
    /** Exchange attribute: a batch's per-item results (set by the controller). */
    static final String BATCH_RESULT = RequestMetrics.class.getName() + ".batchResult";
    /** Exchange attribute: the exception an error answer came from (set by the error handler). */
    public static final String EXCEPTION = RequestMetrics.class.getName() + ".exception";

    private final MeterRegistry meters;
    private final Timer singleDuration;
    private final Timer batchDuration;
    private final Map<String, Counter> ingested = new ConcurrentHashMap<>();
    /** By method, route, status and exception: a few dozen at most (routes are patterns). */
    private final Map<String, Timer> requests = new ConcurrentHashMap<>();

    public RequestMetrics(MeterRegistry meters) {
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
        long started = System.nanoTime();
        int kind = ingestKind(exchange);
        exchange.getResponse().beforeCommit(() -> {
            long took = System.nanoTime() - started;
            request(exchange).record(took, TimeUnit.NANOSECONDS);
            if (kind != NOT_INGEST) {
                (kind == SINGLE ? singleDuration : batchDuration).record(took, TimeUnit.NANOSECONDS);
                record(exchange);
            }
            return Mono.empty();
        });
        return chain.filter(exchange);
    }

    private static final int NOT_INGEST = 0;
    private static final int SINGLE = 1;
    private static final int BATCH = 2;

    private static int ingestKind(ServerWebExchange exchange) {
        if (exchange.getRequest().getMethod() != HttpMethod.POST) {
            return NOT_INGEST;
        }
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        return path.equals("/v1/events") ? SINGLE : path.equals("/v1/events/batch") ? BATCH : NOT_INGEST;
    }

    private Timer request(ServerWebExchange exchange) {
        String method = exchange.getRequest().getMethod().name();
        HttpStatusCode code = exchange.getResponse().getStatusCode();
        int status = code == null ? 200 : code.value();
        Object pattern = exchange.getAttribute(RouterFunctions.MATCHING_PATTERN_ATTRIBUTE);
        if (pattern == null) {
            pattern = exchange.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        }
        String uri = pattern != null ? pattern.toString()
                : status == 404 ? "NOT_FOUND" : status >= 300 && status < 400 ? "REDIRECTION" : "UNKNOWN";
        Object failure = exchange.getAttribute(EXCEPTION);
        String exception = failure == null ? "none" : failure.getClass().getSimpleName();
        return requests.computeIfAbsent(method + ' ' + uri + ' ' + status + ' ' + exception, key -> Timer.builder("http.server.requests")
                .description("HTTP requests the api answered")
                .tag("method", method)
                .tag("uri", uri)
                .tag("status", Integer.toString(status))
                .tag("outcome", outcome(status))
                .tag("exception", exception)
                .register(meters));
    }

    private static String outcome(int status) {
        return status < 200 ? "INFORMATIONAL" : status < 300 ? "SUCCESS" : status < 400 ? "REDIRECTION"
                : status < 500 ? "CLIENT_ERROR" : status < 600 ? "SERVER_ERROR" : "UNKNOWN";
    }

    private void record(ServerWebExchange exchange) {
        Object batch = exchange.getAttribute(BATCH_RESULT);
        if (batch instanceof BatchResult result) {
            for (BatchItemResult item : result.results()) {
                counter(ingestOutcome(item.status()), item.error() == null ? "none" : item.error().code()).increment();
            }
            return;
        }
        HttpStatusCode status = exchange.getResponse().getStatusCode();
        int code = status == null ? 200 : status.value();
        String error = exchange.getAttribute(ERROR_CODE);
        counter(ingestOutcome(code), error == null ? (code < 300 ? "none" : Integer.toString(code)) : error).increment();
    }

    private static String ingestOutcome(int status) {
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
