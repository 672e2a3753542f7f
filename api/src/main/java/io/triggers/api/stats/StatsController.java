package io.triggers.api.stats;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.triggers.api.auth.Tenant;
import io.triggers.api.endpoints.EndpointRepository;
import io.triggers.api.web.PathIds;
import io.triggers.api.web.QueryParameters;
import io.triggers.shared.time.Timestamps;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/endpoints/{id}/stats} and {@code GET /v1/stats}: an endpoint's attempts in a
 * window (counts, success rate, latency percentiles) with the current states of its deliveries of
 * events created in it, and the organization's activity over time for dashboards. Attempts and
 * ingested events are counted by whole minutes from the worker's roll-up, which runs a little
 * behind now (30 s by default, {@code TRIGGERS_STATS_ROLLUP_LAG}); latency percentiles over the
 * whole hours the window touches.
 */
@RestController
public final class StatsController {

    private static final Set<String> ENDPOINT_PARAMETERS = Set.of("since", "until");
    private static final Set<String> SERIES_PARAMETERS = Set.of("since", "until", "interval");
    private static final Pattern INTERVALS = Pattern.compile("minute|hour");
    private static final Duration DEFAULT_WINDOW = Duration.ofDays(1);
    /** The most points a series has: a day by minute, 90 days by hour. */
    private static final int MAX_POINTS = 2160;

    public record LatencyView(Long p50, Long p99) {
    }

    public record DeliveryStates(long pending, long failed, long dead, long paused) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record EndpointStats(Instant since, Instant until, long attempts, long succeeded, long failed, Double successRate,
                                LatencyView latencyMs, DeliveryStates deliveries) {
    }

    public record EndpointCounts(long enabled, long failing, long disabled) {
    }

    public record SeriesPoint(Instant at, long ingested, long delivered, long failed, long dead) {
    }

    public record OrganizationStats(Instant since, Instant until, String interval, List<SeriesPoint> series, long deadLetters,
                                    EndpointCounts endpoints) {
    }

    private record Window(Instant since, Instant until) {
    }

    private final StatsRepository stats;
    private final EndpointRepository endpoints;

    StatsController(StatsRepository stats, EndpointRepository endpoints) {
        this.stats = stats;
        this.endpoints = endpoints;
    }

    @GetMapping("/v1/endpoints/{id}/stats")
    public Mono<EndpointStats> endpoint(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id,
                                        @RequestParam MultiValueMap<String, String> parameters) {
        UUID endpointId = PathIds.parse(id, "endpoint");
        QueryParameters given = new QueryParameters(parameters, ENDPOINT_PARAMETERS);
        Window window = window(given);
        given.throwIfInvalid();
        UUID organizationId = tenant.organizationId();
        return endpoints.find(organizationId, endpointId).hasElement()
                .flatMap(known -> known ? Mono.just(true) : Mono.error(PathIds.notFound("endpoint", id)))
                .then(Mono.zip(stats.endpointAttempts(organizationId, endpointId, window.since(), window.until()),
                        stats.endpointLatency(organizationId, endpointId, window.since(), window.until()),
                        stats.endpointDeliveries(endpointId, window.since(), window.until())))
                .map(found -> {
                    StatsRepository.Attempts attempts = found.getT1();
                    Map<Integer, Long> latency = found.getT2();
                    Map<String, Long> states = found.getT3();
                    long total = attempts.succeeded() + attempts.failed();
                    return new EndpointStats(window.since(), window.until(), total, attempts.succeeded(), attempts.failed(),
                            total == 0 ? null : (double) attempts.succeeded() / total,
                            new LatencyView(Latency.percentile(latency, 0.5), Latency.percentile(latency, 0.99)),
                            new DeliveryStates(states.getOrDefault("pending", 0L), states.getOrDefault("failed", 0L),
                                    states.getOrDefault("dead", 0L), states.getOrDefault("paused", 0L)));
                });
    }

    @GetMapping("/v1/stats")
    public Mono<OrganizationStats> organization(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant,
                                                @RequestParam MultiValueMap<String, String> parameters) {
        QueryParameters given = new QueryParameters(parameters, SERIES_PARAMETERS);
        Window window = window(given);
        String interval = given.matching("interval", INTERVALS, "minute or hour");
        String step = interval == null ? "hour" : interval;
        long points = Duration.between(window.since(), window.until()).toMinutes() / ("minute".equals(step) ? 1 : 60);
        if (points > MAX_POINTS) {
            given.problem("since", "window_too_large", "a series has at most " + MAX_POINTS
                    + " points: at most 36 hours by minute, 90 days by hour");
        }
        given.throwIfInvalid();
        UUID organizationId = tenant.organizationId();
        return Mono.zip(stats.series(organizationId, window.since(), window.until(), step), stats.totals(organizationId))
                .map(found -> new OrganizationStats(window.since(), window.until(), step,
                        found.getT1().stream().map(point -> new SeriesPoint(point.at(), point.ingested(), point.delivered(),
                                point.failed(), point.dead())).toList(),
                        found.getT2().deadLetters(),
                        new EndpointCounts(found.getT2().enabled(), found.getT2().failing(), found.getT2().disabled())));
    }

    /** {@code since} and {@code until}, by default the last 24 hours up to now; {@code since} must come first. */
    private static Window window(QueryParameters given) {
        Instant now = Timestamps.now();
        Instant until = given.time("until");
        Instant since = given.time("since");
        Instant to = until == null ? now : until;
        Instant from = since == null ? to.minus(DEFAULT_WINDOW) : since;
        if (!from.isBefore(to)) {
            given.problem("since", "invalid_value", "since must be before until (which defaults to now)");
        }
        return new Window(from, to);
    }
}
