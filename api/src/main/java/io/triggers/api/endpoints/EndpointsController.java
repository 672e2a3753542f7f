package io.triggers.api.endpoints;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.triggers.api.auth.Tenant;
import io.triggers.api.endpoints.EndpointRepository.Changes;
import io.triggers.api.endpoints.EndpointRepository.Endpoint;
import io.triggers.api.endpoints.EndpointRepository.Options;
import io.triggers.api.events.EventQueue;
import io.triggers.api.events.EventRequest;
import io.triggers.api.web.ApiException;
import io.triggers.api.web.PathIds;
import io.triggers.api.web.JsonBodies;
import io.triggers.api.web.RequestFields;
import io.triggers.api.web.RequestIds;
import io.triggers.api.web.StorableJson;
import io.triggers.shared.events.OperationalEvents;
import io.triggers.shared.queue.QueueEntry;
import io.triggers.shared.ids.UuidV7;
import io.triggers.shared.logging.ThrottledLog;
import io.triggers.shared.time.Timestamps;
import io.triggers.shared.webhooks.WebhookSigner;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Webhook endpoints of the caller's organization. */
@RestController
public final class EndpointsController {

    private static final Logger log = LoggerFactory.getLogger(EndpointsController.class);
    private static final ThrottledLog LIMITS_NOT_PUBLISHED = new ThrottledLog(log, Duration.ofSeconds(10));
    /** Past this, publishing the limits is given up on: the request does not wait on Redis longer. */
    static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(1);

    private static final Set<String> FIELDS = Set.of("url", "description", "event_types", "enabled", "rate_limit_per_second",
            "max_in_flight", "headers", "filter", "retry_schedule");
    // The same bounds are CHECK constraints in the migration (V7__endpoint_delivery_limits.sql).
    static final int MAX_RATE_LIMIT_PER_SECOND = 10_000;
    static final int MAX_IN_FLIGHT = 1000;
    static final int DEFAULT_MAX_IN_FLIGHT = 16;
    /** An event type, or a prefix pattern: {@code invoice.*}, or {@code *} for everything. */
    static final Pattern EVENT_TYPE_FILTER = Pattern.compile("\\*|[A-Za-z0-9._:-]{1,128}|[A-Za-z0-9._:-]{1,126}\\.\\*");
    private static final long MAX_BODY = 64 * 1024;
    private static final Set<String> TEST_FIELDS = Set.of("event_type", "payload");
    /** The type of a test event unless the call names one. */
    static final String TEST_TYPE = "triggers.test";

    /**
     * An endpoint without its secret; why it was disabled, when the service disabled it. Its rate
     * limit, filter and retry schedule are always shown, {@code null} when it has none (the
     * schedule: the service's), its headers with their values masked.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record EndpointView(UUID id, String url, String description, List<String> eventTypes, boolean enabled,
                               @JsonInclude(JsonInclude.Include.ALWAYS) Integer rateLimitPerSecond, int maxInFlight,
                               Map<String, String> headers, @JsonInclude(JsonInclude.Include.ALWAYS) JsonNode filter,
                               @JsonInclude(JsonInclude.Include.ALWAYS) List<String> retrySchedule,
                               String disabledReason, Instant disabledAt, Instant createdAt, Instant updatedAt) {

        static EndpointView of(Endpoint endpoint) {
            Options options = endpoint.options();
            return new EndpointView(endpoint.id(), endpoint.url(), endpoint.description(), endpoint.eventTypes(),
                    endpoint.enabled(), endpoint.rateLimitPerSecond(), endpoint.maxInFlight(), EndpointOptions.masked(options.headers()),
                    options.filter(), EndpointOptions.shown(options.retrySchedule()), endpoint.disabledReason(),
                    endpoint.disabledAt(), endpoint.createdAt(), endpoint.updatedAt());
        }
    }

    /** The answer to a create, the only one besides the secret calls that shows the secret. */
    public record CreatedEndpoint(UUID id, String url, String description, List<String> eventTypes, boolean enabled,
                                  Integer rateLimitPerSecond, int maxInFlight, Map<String, String> headers, JsonNode filter,
                                  List<String> retrySchedule, String secret, Instant createdAt, Instant updatedAt) {
    }

    public record EndpointList(List<EndpointView> endpoints) {
    }

    public record Secret(String secret) {
    }

    private final EndpointRepository endpoints;
    private final JsonBodies bodies;
    private final EndpointTargets targets;
    private final EndpointLimitsPublisher limits;
    private final EventQueue queue;
    private final int maxPerOrganization;
    private final JsonMapper json;
    private final OperationalEvents operationalEvents;

    EndpointsController(EndpointRepository endpoints, JsonBodies bodies, EndpointTargets targets, EndpointLimitsPublisher limits,
                        EventQueue queue, EndpointsProperties properties, JsonMapper json, OperationalEvents operationalEvents) {
        this.json = json;
        this.operationalEvents = operationalEvents;
        this.endpoints = endpoints;
        this.bodies = bodies;
        this.targets = targets;
        this.limits = limits;
        this.queue = queue;
        this.maxPerOrganization = properties.maxPerOrganization();
    }

    @PostMapping("/v1/endpoints")
    @ResponseStatus(HttpStatus.CREATED)
    public Mono<CreatedEndpoint> create(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, ServerHttpRequest request) {
        return bodies.readObject(request, MAX_BODY).flatMap(body -> {
            RequestFields fields = new RequestFields(body, FIELDS);
            String url = fields.string("url", true, EndpointUrls.MAX_LENGTH, null);
            String host = EndpointUrls.checkForm(url, fields);
            String description = fields.string("description", false, 1024, null);
            List<String> eventTypes = fields.strings("event_types", 100, 128, EVENT_TYPE_FILTER);
            boolean enabled = fields.bool("enabled", true);
            Integer rateLimitPerSecond = rateLimitPerSecond(fields);
            int maxInFlight = maxInFlight(fields);
            Options options = options(fields);
            fields.throwIfInvalid();
            return targets.refuseForbidden(host).then(Mono.defer(() -> {
                Instant now = Timestamps.now();
                Endpoint endpoint = new Endpoint(UuidV7.next(), url, description, eventTypes, enabled, rateLimitPerSecond,
                        maxInFlight, null, null, now, now, options);
                String secret = WebhookSigner.newSecret();
                return endpoints.insert(tenant.organizationId(), endpoint, secret, maxPerOrganization)
                        .flatMap(stored -> stored
                                ? publishLimits(tenant.organizationId(), endpoint).thenReturn(new CreatedEndpoint(endpoint.id(),
                                        url, description, eventTypes, enabled, rateLimitPerSecond, maxInFlight,
                                        EndpointOptions.masked(options.headers()), options.filter(),
                                        EndpointOptions.shown(options.retrySchedule()), secret, now, now))
                                : Mono.error(ApiException.conflict("an organization has at most " + maxPerOrganization
                                        + " endpoints; delete one before creating another")));
            }));
        });
    }

    @GetMapping("/v1/endpoints")
    public Mono<EndpointList> list(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant) {
        return endpoints.list(tenant.organizationId()).map(found -> new EndpointList(found.stream().map(EndpointView::of).toList()));
    }

    @GetMapping("/v1/endpoints/{id}")
    public Mono<EndpointView> get(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id) {
        return found(tenant, id).map(EndpointView::of);
    }

    @GetMapping("/v1/endpoints/{id}/secret")
    public Mono<Secret> secret(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id) {
        return endpoints.secret(tenant.organizationId(), parseId(id)).switchIfEmpty(Mono.error(() -> notFound(id))).map(Secret::new);
    }

    /** A new secret; for 24 hours deliveries are signed with it and the old one. */
    @PostMapping("/v1/endpoints/{id}/secret/rotate")
    public Mono<Secret> rotateSecret(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id) {
        return endpoints.rotateSecret(tenant.organizationId(), parseId(id), WebhookSigner.newSecret(), Timestamps.now())
                .switchIfEmpty(Mono.error(() -> notFound(id)))
                .map(Secret::new);
    }

    @PatchMapping("/v1/endpoints/{id}")
    public Mono<EndpointView> update(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id,
                                     ServerHttpRequest request) {
        UUID endpointId = parseId(id);
        return bodies.readObject(request, MAX_BODY).flatMap(body -> {
            RequestFields fields = new RequestFields(body, FIELDS);
            boolean setUrl = body.has("url");
            String url = setUrl ? fields.string("url", true, EndpointUrls.MAX_LENGTH, null) : null;
            String host = setUrl ? EndpointUrls.checkForm(url, fields) : null;
            boolean setDescription = body.has("description");
            String description = fields.string("description", false, 1024, null);
            boolean setEventTypes = body.has("event_types");
            List<String> eventTypes = fields.strings("event_types", 100, 128, EVENT_TYPE_FILTER);
            boolean setEnabled = body.has("enabled");
            if (setEnabled && !isBoolean(body.get("enabled"))) {
                fields.problem("enabled", "invalid_type", "enabled must be true or false");
            }
            boolean enabled = fields.bool("enabled", true);
            boolean setRateLimitPerSecond = body.has("rate_limit_per_second");
            Integer rateLimitPerSecond = rateLimitPerSecond(fields);
            boolean setMaxInFlight = body.has("max_in_flight");
            int maxInFlight = maxInFlight(fields);
            Options options = options(fields);
            fields.throwIfInvalid();
            Changes changes = new Changes(setUrl, url, setDescription, description, setEventTypes, eventTypes, setEnabled, enabled,
                    setRateLimitPerSecond, rateLimitPerSecond, setMaxInFlight, maxInFlight,
                    body.has("headers"), body.has("filter"), body.has("retry_schedule"), options);
            Instant now = Timestamps.now();
            return targets.refuseForbidden(host).then(endpoints.update(tenant.organizationId(), endpointId, changes, now))
                    .switchIfEmpty(Mono.error(() -> notFound(id)))
                    .flatMap(updated -> publishLimits(tenant.organizationId(), updated.endpoint()).thenReturn(updated))
                    .flatMap(updated -> (setEnabled ? pauseOrResume(tenant.organizationId(), updated.endpoint(), now) : Mono.<Void>empty())
                            .then(updated.wasEnabled() != updated.endpoint().enabled()
                                    ? announceSwitch(tenant.organizationId(), updated.endpoint(), now) : Mono.empty())
                            .thenReturn(updated.endpoint()))
                    .map(EndpointView::of);
        });
    }

    /** The answer to a test: the event made for it. */
    public record TestEvent(UUID eventId) {
    }

    /**
     * Sends an example event to this endpoint only, whatever its event types and filter: an event
     * of the organization (type {@code triggers.test} unless the body names one) with one delivery.
     */
    @PostMapping("/v1/endpoints/{id}/test")
    public Mono<ResponseEntity<TestEvent>> test(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id,
                                                ServerWebExchange exchange) {
        UUID endpointId = parseId(id);
        return bodies.readOptionalObject(exchange.getRequest(), MAX_BODY).flatMap(body -> {
            RequestFields fields = new RequestFields(body, TEST_FIELDS);
            String eventType = fields.string("event_type", false, 128, EventRequest.EVENT_TYPE);
            JsonNode payload = fields.raw("payload");
            if (payload != null && payload.isNull()) {
                fields.problem("payload", "invalid_value", "payload must not be null");
            } else if (payload != null) {
                StorableJson.check(payload, "payload", fields);
            }
            fields.throwIfInvalid();
            UUID eventId = UuidV7.next();
            String requestId = RequestIds.of(exchange);
            String payloadJson = payload != null ? json.writeValueAsString(payload)
                    : json.writeValueAsString(Map.of("message", "a test event from Triggers", "endpoint_id", endpointId.toString()));
            return found(tenant, id).flatMap(endpoint -> {
                if (!endpoint.enabled()) {
                    return Mono.error(ApiException.conflict("endpoint " + id + " is disabled; enable it first"));
                }
                return endpoints.insertTestEvent(tenant.organizationId(), endpointId, eventId, eventType == null ? TEST_TYPE : eventType,
                                payloadJson, requestId, Timestamps.now())
                        .flatMap(stored -> stored
                                ? queue.enqueueAll(List.of(new QueueEntry(eventId, endpointId, tenant.organizationId(), requestId,
                                        null, endpoint.rateLimitPerSecond(), endpoint.maxInFlight())))
                                : Mono.error(ApiException.conflict("endpoint " + id + " was disabled or deleted meanwhile")));
            }).thenReturn(ResponseEntity.status(HttpStatus.ACCEPTED).body(new TestEvent(eventId)));
        });
    }

    @DeleteMapping("/v1/endpoints/{id}")
    public Mono<ResponseEntity<Void>> delete(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id) {
        return endpoints.delete(tenant.organizationId(), parseId(id))
                .map(deleted -> {
                    if (!deleted) {
                        throw notFound(id);
                    }
                    return ResponseEntity.noContent().<Void>build();
                });
    }

    private Mono<Endpoint> found(Tenant tenant, String id) {
        return endpoints.find(tenant.organizationId(), parseId(id)).switchIfEmpty(Mono.error(() -> notFound(id)));
    }

    /** The options given (each null when absent or null: on {@code PATCH}, null clears it). */
    private static Options options(RequestFields fields) {
        Map<String, String> headers = EndpointOptions.headers(fields);
        String filterPath = EndpointFilter.compile(fields);
        JsonNode filter = filterPath == null ? null : fields.raw("filter");
        if (filter != null) {
            StorableJson.check(filter, "filter", fields); // stored as jsonb: no NUL characters, no unpaired surrogates
        }
        return new Options(headers, filter, filterPath, EndpointOptions.retrySchedule(fields));
    }

    /** {@code null} (no limit of its own) when absent or null; on {@code PATCH}, null clears it. */
    private static Integer rateLimitPerSecond(RequestFields fields) {
        return fields.intBetween("rate_limit_per_second", 1, MAX_RATE_LIMIT_PER_SECOND);
    }

    /** The default when absent or null; on {@code PATCH}, null puts the default back. */
    private static int maxInFlight(RequestFields fields) {
        Integer given = fields.intBetween("max_in_flight", 1, MAX_IN_FLIGHT);
        return given == null ? DEFAULT_MAX_IN_FLIGHT : given;
    }

    /**
     * Disabled by hand, the endpoint's owed deliveries pause (neither attempted nor dead-lettered);
     * enabled again, they are pending and queued at once. (The worker also pauses any it meets
     * while the endpoint is disabled by hand: one in flight here may have scheduled a retry.)
     */
    private Mono<Void> pauseOrResume(UUID organizationId, Endpoint endpoint, Instant now) {
        if (!endpoint.enabled()) {
            return endpoints.pauseDeliveries(organizationId, endpoint.id(), now).then();
        }
        return endpoints.resumeDeliveries(organizationId, endpoint, now).flatMap(queue::enqueueAll);
    }

    /**
     * Tells the organization that the endpoint was enabled or disabled by hand (operational events
     * {@code triggers.endpoint.enabled} and {@code .disabled}, for the endpoints that ask for them).
     * The change is stored already: an event that cannot be stored or queued is logged, not an error.
     */
    private Mono<Void> announceSwitch(UUID organizationId, Endpoint endpoint, Instant now) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put("endpoint_id", endpoint.id().toString());
        data.put("url", endpoint.url());
        if (!endpoint.enabled()) {
            data.put("reason", "disabled by hand");
        }
        return operationalEvents.emit(organizationId,
                        endpoint.enabled() ? OperationalEvents.ENDPOINT_ENABLED : OperationalEvents.ENDPOINT_DISABLED, data, now)
                .flatMap(entries -> entries.isEmpty() ? Mono.<Void>empty() : queue.enqueueAll(entries))
                .onErrorResume(failure -> {
                    log.warn("operational event about endpoint {} not emitted: {}", endpoint.id(), failure.toString());
                    return Mono.empty();
                });
    }

    private Mono<Void> publishLimits(UUID organizationId, Endpoint endpoint) {
        return quietly(() -> limits.describe(organizationId, endpoint.id(), endpoint.rateLimitPerSecond(), endpoint.maxInFlight()),
                PUBLISH_TIMEOUT, endpoint.id());
    }

    /**
     * {@code publishing}, never failing (not even by throwing instead of returning) and never taking
     * longer than {@code timeout}: the endpoint is already stored, and PostgreSQL is the record of its
     * limits, so the request succeeds regardless.
     */
    static Mono<Void> quietly(Supplier<Mono<Void>> publishing, Duration timeout, UUID endpointId) {
        return Mono.defer(publishing).timeout(timeout).onErrorResume(e -> {
            LIMITS_NOT_PUBLISHED.warn("delivery limits of endpoint {} not published: {}", endpointId, e.toString());
            return Mono.empty();
        });
    }

    private static boolean isBoolean(JsonNode value) {
        return value != null && value.isBoolean();
    }

    private static UUID parseId(String id) {
        return PathIds.parse(id, "endpoint");
    }

    private static ApiException notFound(String id) {
        return PathIds.notFound("endpoint", id);
    }
}
