package io.triggers.api.events;

import io.triggers.api.auth.Tenant;
import io.triggers.api.events.EventRepository.NewEvent;
import io.triggers.api.events.EventRepository.StoredDelivery;
import io.triggers.api.events.EventRepository.StoredEvent;
import io.triggers.api.web.ApiException;
import io.triggers.api.web.JsonBodies;
import io.triggers.api.web.RequestFields;
import io.triggers.api.web.RequestIds;
import io.triggers.shared.ids.UuidV7;
import io.triggers.shared.stream.StreamEntry;
import io.triggers.shared.time.Timestamps;
import com.fasterxml.jackson.annotation.JsonRawValue;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/** Ingesting and reading events. */
@RestController
public final class EventsController {

    public record EventCreated(UUID eventId, String eventType, String source, String status, Instant createdAt, String requestId) {
    }

    public record EventView(UUID eventId, String eventType, String source, @JsonRawValue String payload,
                            @JsonRawValue String metadata, String status, Instant createdAt, Instant acknowledgedAt,
                            Instant deliveredAt, List<StoredDelivery> deliveries) {
    }

    private final EventRepository events;
    private final EventQueue queue;
    private final JsonBodies bodies;
    private final JsonMapper json;
    private final IngestProperties ingest;

    public EventsController(EventRepository events, EventQueue queue, JsonBodies bodies, JsonMapper json, IngestProperties ingest) {
        this.events = events;
        this.queue = queue;
        this.bodies = bodies;
        this.json = json;
        this.ingest = ingest;
    }

    /**
     * Ingests one event: validate, commit the event and its deliveries, queue it, answer 201. The
     * answer comes only after the commit.
     */
    @PostMapping("/v1/events")
    public Mono<ResponseEntity<EventCreated>> ingest(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, ServerWebExchange exchange) {
        String idempotencyKey = exchange.getRequest().getHeaders().getFirst("Idempotency-Key");
        if (idempotencyKey != null && !EventRequest.IDEMPOTENCY_KEY.matcher(idempotencyKey).matches()) {
            return Mono.error(ApiException.validation("Idempotency-Key", "invalid_format",
                    "Idempotency-Key must be 1-255 printable ASCII characters"));
        }
        String requestId = RequestIds.of(exchange);
        return bodies.readObject(exchange.getRequest(), ingest.maxPayloadBytes()).flatMap(body -> {
            RequestFields fields = new RequestFields(body, EventRequest.fields());
            EventRequest request = EventRequest.parse(fields, idempotencyKey);
            fields.throwIfInvalid();
            NewEvent event = new NewEvent(UuidV7.next(), tenant.organizationId(), request.eventType(), request.source(),
                    json.writeValueAsString(request.payload()), json.writeValueAsString(request.metadata()),
                    requestId, Timestamps.now());
            return events.insert(event)
                    .flatMap(deliveries -> deliveries == 0 ? Mono.empty()
                            : queue.enqueue(new StreamEntry(event.id(), event.organizationId(), requestId)))
                    .then(Mono.fromSupplier(() -> ResponseEntity.status(HttpStatus.CREATED)
                            .location(URI.create("/v1/events/" + event.id()))
                            .body(new EventCreated(event.id(), event.eventType(), event.source(), "pending",
                                    event.createdAt(), requestId))));
        });
    }

    @GetMapping("/v1/events/{id}")
    public Mono<EventView> get(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id) {
        UUID eventId = parseId(id);
        return events.find(tenant.organizationId(), eventId)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("event " + id + " not found")))
                .zipWith(events.deliveries(tenant.organizationId(), eventId))
                .map(found -> view(found.getT1(), found.getT2()));
    }

    private static EventView view(StoredEvent event, List<StoredDelivery> deliveries) {
        return new EventView(event.eventId(), event.eventType(), event.source(), event.payloadJson(), event.metadataJson(),
                event.status(), event.createdAt(), event.acknowledgedAt(), event.deliveredAt(), deliveries);
    }

    /** A path id that is not a UUID names nothing: 404, as for a missing one. */
    static UUID parseId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound("event " + id + " not found");
        }
    }
}
