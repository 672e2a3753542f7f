package io.triggers.api.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonRawValue;
import io.triggers.api.auth.Tenant;
import io.triggers.api.eventtypes.EventTypeSchemas;
import io.triggers.api.eventtypes.OrganizationSchemas;
import io.triggers.api.events.EventIngestion.Created;
import io.triggers.api.events.EventIngestion.Outcome;
import io.triggers.api.events.EventIngestion.Rejected;
import io.triggers.api.events.EventIngestion.Replayed;
import io.triggers.api.events.EventRepository.NewEvent;
import io.triggers.api.events.EventRepository.StoredDelivery;
import io.triggers.api.events.EventRepository.StoredEvent;
import io.triggers.api.events.IdempotencyGuard.Finished;
import io.triggers.api.events.IdempotencyGuard.InFlight;
import io.triggers.api.events.IdempotencyGuard.Owned;
import io.triggers.api.ratelimit.RateLimiter;
import io.triggers.api.web.ApiException;
import io.triggers.api.web.PathIds;
import io.triggers.api.web.FieldIssue;
import io.triggers.api.web.JsonBodies;
import io.triggers.api.web.RequestFields;
import io.triggers.api.web.RequestIds;
import io.triggers.shared.ids.UuidV7;
import io.triggers.shared.time.Timestamps;
import io.triggers.shared.tracing.TraceParent;
import io.triggers.shared.tracing.Traced;
import io.triggers.shared.tracing.Traces;
import java.io.OutputStream;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Ingesting and reading events. */
@RestController
public final class EventsController {

    static final String IDEMPOTENCY_HEADER = "Idempotency-Key";
    static final int MAX_BATCH_ITEMS = 500;
    static final int MAX_ACK_IDS = 1000;
    private static final Set<String> BATCH_FIELDS = Set.of("events");

    public record EventView(UUID eventId, String eventType, String source, @JsonRawValue String payload,
                            @JsonRawValue String metadata, String status, Instant createdAt, Instant acknowledgedAt,
                            Instant deliveredAt, List<StoredDelivery> deliveries) {
    }

    /** One item's result in a batch answer. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BatchItemResult(int index, int status, UUID eventId, ItemError error) {
    }

    public record ItemError(String code, String message, List<FieldIssue> details) {
    }

    public record BatchResult(List<BatchItemResult> results) {
    }

    private final EventRepository events;
    private final EventIngestion ingestion;
    private final IdempotencyGuard idempotency;
    private final RateLimiter rateLimiter;
    private final JsonBodies bodies;
    private final JsonMapper json;
    private final IngestProperties ingest;
    private final BatchWork batchWork;
    private final EventTypeSchemas schemas;
    private final Traces traces;

    public EventsController(EventRepository events, EventIngestion ingestion, IdempotencyGuard idempotency,
                            RateLimiter rateLimiter, JsonBodies bodies, JsonMapper json, IngestProperties ingest,
                            BatchWork batchWork, EventTypeSchemas schemas, Traces traces) {
        this.events = events;
        this.ingestion = ingestion;
        this.idempotency = idempotency;
        this.rateLimiter = rateLimiter;
        this.bodies = bodies;
        this.json = json;
        this.ingest = ingest;
        this.batchWork = batchWork;
        this.schemas = schemas;
        this.traces = traces;
    }

    /**
     * Ingests one event: validate (its payload also against its type's schema, if it has one), commit
     * the event and its deliveries, queue it, answer 201 — only after the commit. With an idempotency
     * key, a repeat answers 200 with the first answer.
     * Routed by {@link IngestRoutes}.
     */
    public Mono<ResponseEntity<EventCreated>> ingest(Tenant tenant, ServerWebExchange exchange) {
        String headerKey = exchange.getRequest().getHeaders().getFirst(IDEMPOTENCY_HEADER);
        if (headerKey != null && !EventRequest.IDEMPOTENCY_KEY.matcher(headerKey).matches()) {
            return Mono.error(ApiException.validation(IDEMPOTENCY_HEADER, "invalid_format",
                    "Idempotency-Key must be 1-255 printable ASCII characters"));
        }
        String requestId = RequestIds.of(exchange);
        Traced trace = traces.serve(Traces.INGEST, exchange.getRequest().getHeaders().getFirst(TraceParent.HEADER));
        Mono<ResponseEntity<EventCreated>> answer = bodies.readObject(exchange.getRequest(), ingest.maxPayloadBytes()).flatMap(body -> {
            RequestFields fields = new RequestFields(body, EventRequest.FIELDS);
            EventRequest request = EventRequest.parse(fields, headerKey);
            fields.throwIfInvalid();
            trace.tag("triggers.event_type", request.eventType());
            // The organization's event-type schemas, from memory; read again only when this replica's are stale.
            OrganizationSchemas known = schemas.cached(tenant.organizationId());
            return known != null ? accept(tenant, request, requestId, trace, known)
                    : schemas.current(tenant.organizationId()).flatMap(read -> accept(tenant, request, requestId, trace, read));
        });
        return trace.recording() ? recorded(answer, trace, tenant, "/v1/events") : answer;
    }

    /** The request's span ends with its answer (or error, or the caller going away), tagged with them. */
    private static <T> Mono<ResponseEntity<T>> recorded(Mono<ResponseEntity<T>> answer, Traced trace, Tenant tenant, String route) {
        trace.tag("http.request.method", "POST").tag("http.route", route)
                .tag("triggers.organization_id", tenant.organizationId().toString());
        return answer
                .doOnSuccess(response -> {
                    if (response != null) {
                        trace.tag("http.response.status_code", response.getStatusCode().value());
                        if (response.getBody() instanceof EventCreated created) {
                            trace.tag("triggers.event_id", created.eventId().toString());
                        }
                    }
                    trace.end();
                })
                .doOnError(error -> {
                    int status = error instanceof ApiException api ? api.status().value() : 500;
                    trace.tag("http.response.status_code", status)
                            .failed(error instanceof ApiException api ? api.code() : error.getClass().getSimpleName())
                            .end();
                })
                .doOnCancel(trace::end);
    }

    /** A valid request whose payload matches its type's schema (if any) is stored, or replayed under its idempotency key. */
    private Mono<ResponseEntity<EventCreated>> accept(Tenant tenant, EventRequest request, String requestId, Traced trace,
                                                      OrganizationSchemas known) {
        ApiException mismatch = known.check(request.eventType(), request.payload());
        if (mismatch != null) {
            return Mono.error(mismatch);
        }
        NewEvent event = newEvent(tenant, request, requestId, trace);
        if (event.idempotencyKey() == null) {
            return store(tenant, event);
        }
        String fingerprint = HexFormat.of().formatHex(event.fingerprint());
        return idempotency.claim(tenant.organizationId(), event.idempotencyKey(), fingerprint).flatMap(claim -> {
            if (claim instanceof InFlight) {
                return Mono.error(ApiException.idempotencyKeyInFlight());
            }
            if (claim instanceof Finished finished) {
                return finished.fingerprint().equals(fingerprint)
                        ? Mono.just(answer(HttpStatus.OK, finished.response()))
                        : Mono.error(ApiException.idempotencyKeyReused());
            }
            if (claim instanceof Owned owned) {
                return store(tenant, event)
                        .flatMap(answer -> idempotency.complete(owned, fingerprint, answer.getBody()).thenReturn(answer))
                        .onErrorResume(e -> idempotency.release(owned).then(Mono.error(e)));
            }
            return store(tenant, event);
        });
    }

    private Mono<ResponseEntity<EventCreated>> store(Tenant tenant, NewEvent event) {
        return ingestion.ingest(tenant.organizationId(), List.of(event)).map(outcomes -> {
            Outcome outcome = outcomes.get(0);
            if (outcome instanceof Created created) {
                return answer(HttpStatus.CREATED, created.response());
            }
            if (outcome instanceof Replayed replayed) {
                return answer(HttpStatus.OK, replayed.response());
            }
            throw ((Rejected) outcome).error();
        });
    }

    private static ResponseEntity<EventCreated> answer(HttpStatus status, EventCreated body) {
        ResponseEntity.BodyBuilder answer = ResponseEntity.status(status).location(URI.create("/v1/events/" + body.eventId()));
        if (status == HttpStatus.OK) {
            answer.header("Idempotent-Replayed", "true");
        }
        return answer.body(body);
    }

    /**
     * Ingests up to 500 events. Items succeed or fail one by one; the valid ones are committed
     * together in one statement. Each item costs one unit of the rate limit: the first was charged
     * before the body was read (by the authentication filter, which answers 429 when none is left),
     * the others are asked for once the items are counted, and items past what the limit grants are
     * answered 429 one by one. An item over the single-event size limit is answered 413.
     * Routed by {@link IngestRoutes}.
     */
    public Mono<ResponseEntity<BatchResult>> batch(Tenant tenant, ServerWebExchange exchange) {
        String requestId = RequestIds.of(exchange);
        Traced trace = traces.serve(Traces.BATCH, exchange.getRequest().getHeaders().getFirst(TraceParent.HEADER));
        // Parsed, validated and answered on BatchWork's threads, not on the event loops every request shares.
        Mono<ResponseEntity<BatchResult>> answer = bodies.readObject(exchange.getRequest(), IngestProperties.MAX_BATCH_BYTES, batchWork.scheduler()).flatMap(body -> {
            RequestFields fields = new RequestFields(body, BATCH_FIELDS);
            JsonNode items = fields.raw("events");
            if (items == null || !items.isArray()) {
                fields.problem("events", items == null ? "required" : "invalid_type", "events must be an array of events");
            } else if (items.isEmpty() || items.size() > MAX_BATCH_ITEMS) {
                fields.problem("events", "invalid_size", "events must hold 1 to " + MAX_BATCH_ITEMS + " events");
            }
            fields.throwIfInvalid();
            trace.tag("triggers.events", items.size());
            Mono<Granted> granted = items.size() == 1
                    ? Mono.just(new Granted(1, 0))
                    : rateLimiter.acquire(tenant, items.size() - 1).map(decision -> {
                        decision.applyTo(exchange.getResponse().getHeaders());
                        return new Granted(1 + decision.granted(), Math.max(1, decision.retryAfterSeconds()));
                    });
            return granted.zipWith(schemas.current(tenant.organizationId()))
                    .publishOn(batchWork.scheduler())
                    .flatMap(ready -> ingestBatch(tenant, items, ready.getT1(), ready.getT2(), requestId, trace))
                    .publishOn(batchWork.scheduler())
                    .doOnNext(result -> exchange.getAttributes().put(RequestMetrics.BATCH_RESULT, result))
                    .map(ResponseEntity::ok);
        });
        return trace.recording() ? recorded(answer, trace, tenant, "/v1/events/batch") : answer;
    }

    /** How many of a batch's items the rate limit let through, and when the others may be retried. */
    private record Granted(int items, long retryAfterSeconds) {
    }

    private Mono<BatchResult> ingestBatch(Tenant tenant, JsonNode items, Granted granted, OrganizationSchemas known, String requestId,
                                          Traced trace) {
        BatchItemResult[] results = new BatchItemResult[items.size()];
        List<NewEvent> valid = new ArrayList<>();
        List<Integer> validIndexes = new ArrayList<>();
        for (int index = 0; index < items.size(); index++) {
            if (index >= granted.items()) {
                results[index] = failed(index, ApiException.rateLimited(granted.retryAfterSeconds()));
                continue;
            }
            JsonNode item = items.get(index);
            if (serializedSize(item) > ingest.maxPayloadBytes()) {
                results[index] = failed(index, ApiException.payloadTooLarge("events[" + index + "] is larger than "
                        + ingest.maxPayloadBytes() + " bytes, the limit of one event"));
                continue;
            }
            if (!item.isObject()) {
                results[index] = failed(index, ApiException.validation("events[" + index + "] must be an object",
                        List.of(new FieldIssue("events[" + index + "]", "invalid_type"))));
                continue;
            }
            RequestFields fields = new RequestFields(item, EventRequest.BATCH_ITEM_FIELDS);
            String itemKey = fields.string("idempotency_key", false, 255, EventRequest.IDEMPOTENCY_KEY);
            EventRequest request = EventRequest.parse(fields, itemKey);
            if (request == null) {
                results[index] = failed(index, fields.toException());
                continue;
            }
            ApiException mismatch = known.check(request.eventType(), request.payload());
            if (mismatch != null) {
                results[index] = failed(index, mismatch);
                continue;
            }
            valid.add(newEvent(tenant, request, requestId, trace));
            validIndexes.add(index);
        }
        if (valid.isEmpty()) {
            return Mono.just(new BatchResult(List.of(results)));
        }
        return ingestion.ingest(tenant.organizationId(), valid).map(outcomes -> {
            for (int i = 0; i < outcomes.size(); i++) {
                int index = validIndexes.get(i);
                Outcome outcome = outcomes.get(i);
                if (outcome instanceof Created created) {
                    results[index] = new BatchItemResult(index, 201, created.response().eventId(), null);
                } else if (outcome instanceof Replayed replayed) {
                    results[index] = new BatchItemResult(index, 200, replayed.response().eventId(), null);
                } else {
                    results[index] = failed(index, ((Rejected) outcome).error());
                }
            }
            return new BatchResult(List.of(results));
        });
    }

    /**
     * An item's size as the body of {@code POST /v1/events} carrying it would have: the item written
     * as compact JSON (UTF-8, no whitespace), so the same event is measured the same however the
     * batch around it was spaced or escaped.
     */
    private long serializedSize(JsonNode item) {
        ByteCount count = new ByteCount();
        json.writeValue(count, item);
        return count.bytes;
    }

    /** Counts what is written to it, and keeps nothing. */
    private static final class ByteCount extends OutputStream {

        private long bytes;

        @Override
        public void write(int b) {
            bytes++;
        }

        @Override
        public void write(byte[] buffer, int offset, int length) {
            bytes += length;
        }
    }

    private static BatchItemResult failed(int index, ApiException error) {
        return new BatchItemResult(index, error.status().value(), null,
                new ItemError(error.code(), error.getMessage(), error.details()));
    }

    /** The event as stored: with the request's trace context, the parent of its delivery attempts' spans. */
    private NewEvent newEvent(Tenant tenant, EventRequest request, String requestId, Traced trace) {
        String payload = json.writeValueAsString(request.payload());
        String metadata = json.writeValueAsString(request.metadata());
        return new NewEvent(UuidV7.next(), tenant.organizationId(), request.eventType(),
                request.source(), payload, metadata, request.idempotencyKey(),
                EventRequest.fingerprint(request.eventType(), request.source(), payload, metadata),
                requestId, Timestamps.now(), trace.traceparent());
    }

    public record AcknowledgedEvent(UUID eventId, String status, Instant acknowledgedAt) {
    }

    public record AcknowledgedEvents(List<UUID> acknowledged, List<UUID> notFound) {
    }

    /** Acknowledges an event: it is not delivered again. Repeating it answers with the first acknowledged_at. */
    @PostMapping("/v1/events/{id}/ack")
    public Mono<AcknowledgedEvent> acknowledge(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id) {
        UUID eventId = parseId(id);
        return events.acknowledge(tenant.organizationId(), List.of(eventId), Timestamps.now())
                .flatMap(done -> done.isEmpty()
                        ? Mono.error(PathIds.notFound("event", id))
                        : Mono.just(new AcknowledgedEvent(eventId, "acknowledged", done.get(0).acknowledgedAt())));
    }

    /** Acknowledges up to 1000 events at once; ids that are not the organization's events are listed as not found. */
    @PostMapping("/v1/events/ack")
    public Mono<AcknowledgedEvents> acknowledgeMany(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, ServerWebExchange exchange) {
        return bodies.readObject(exchange.getRequest(), 64 * 1024).flatMap(body -> {
            RequestFields fields = new RequestFields(body, Set.of("event_ids"));
            if (fields.raw("event_ids") == null) {
                fields.problem("event_ids", "required", "event_ids is required");
            }
            List<String> ids = fields.strings("event_ids", MAX_ACK_IDS, 36, PathIds.UUID_TEXT);
            fields.throwIfInvalid();
            List<UUID> requested = ids.stream().map(UUID::fromString).distinct().toList();
            return events.acknowledge(tenant.organizationId(), requested, Timestamps.now()).map(done -> {
                Set<UUID> acknowledged = new java.util.HashSet<>();
                done.forEach(event -> acknowledged.add(event.eventId()));
                return new AcknowledgedEvents(requested.stream().filter(acknowledged::contains).toList(),
                        requested.stream().filter(requestedId -> !acknowledged.contains(requestedId)).toList());
            });
        });
    }

    /** Deletes an event; later reads are 404 and its pending deliveries stop. */
    @DeleteMapping("/v1/events/{id}")
    public Mono<ResponseEntity<Void>> delete(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id) {
        return events.delete(tenant.organizationId(), parseId(id)).map(deleted -> {
            if (!deleted) {
                throw PathIds.notFound("event", id);
            }
            return ResponseEntity.noContent().<Void>build();
        });
    }

    @GetMapping("/v1/events/{id}")
    public Mono<EventView> get(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id) {
        UUID eventId = parseId(id);
        return events.find(tenant.organizationId(), eventId)
                .switchIfEmpty(Mono.error(() -> PathIds.notFound("event", id)))
                .zipWith(events.deliveries(tenant.organizationId(), eventId))
                .map(found -> view(found.getT1(), found.getT2()));
    }

    private static EventView view(StoredEvent event, List<StoredDelivery> deliveries) {
        return new EventView(event.eventId(), event.eventType(), event.source(), event.payloadJson(), event.metadataJson(),
                event.status(), event.createdAt(), event.acknowledgedAt(), event.deliveredAt(), deliveries);
    }

    static UUID parseId(String id) {
        return PathIds.parse(id, "event");
    }
}
