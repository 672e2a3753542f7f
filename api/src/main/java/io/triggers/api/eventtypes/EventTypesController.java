package io.triggers.api.eventtypes;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.triggers.api.auth.Tenant;
import io.triggers.api.eventtypes.EventTypeRepository.StoredEventType;
import io.triggers.api.events.EventRequest;
import io.triggers.api.web.ApiException;
import io.triggers.api.web.JsonBodies;
import io.triggers.api.web.RequestFields;
import io.triggers.api.web.StorableJson;
import io.triggers.shared.events.OperationalEvents;
import io.triggers.shared.time.Timestamps;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The caller's event types: a description, a deprecation flag, and optionally a JSON Schema
 * (2020-12) that every later event of the type must match at ingest ({@link EventTypeSchemas}).
 * A {@code PUT} replaces the whole type; the schema is checked and compiled ({@link SchemaCompiler})
 * before anything is stored, so a stored schema always compiles.
 */
@RestController
public final class EventTypesController {

    /** Largest {@code PUT} body, and so largest schema, as for other management calls. */
    static final long MAX_BODY = 64 * 1024;
    private static final Set<String> FIELDS = Set.of("description", "schema", "deprecated");

    /** An event type; {@code schema} is null when it has none (free-form). */
    public record EventTypeView(String name, String description, @JsonRawValue String schema, boolean deprecated,
                                Instant createdAt, Instant updatedAt) {

        static EventTypeView of(StoredEventType stored) {
            return new EventTypeView(stored.name(), stored.description(), stored.schemaJson(), stored.deprecated(),
                    stored.createdAt(), stored.updatedAt());
        }
    }

    public record EventTypeList(List<EventTypeView> eventTypes) {
    }

    private final EventTypeRepository eventTypes;
    private final EventTypeSchemas schemas;
    private final SchemaCompiler compiler;
    private final JsonBodies bodies;
    private final JsonMapper json;
    private final int maxPerOrganization;

    EventTypesController(EventTypeRepository eventTypes, EventTypeSchemas schemas, SchemaCompiler compiler, JsonBodies bodies,
                         JsonMapper json, EventTypesProperties properties) {
        this.eventTypes = eventTypes;
        this.schemas = schemas;
        this.compiler = compiler;
        this.bodies = bodies;
        this.json = json;
        this.maxPerOrganization = properties.maxPerOrganization();
    }

    @PutMapping("/v1/event-types/{name}")
    public Mono<EventTypeView> put(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("name") String name,
                                   ServerHttpRequest request) {
        if (!EventRequest.EVENT_TYPE.matcher(name).matches()) {
            return Mono.error(ApiException.validation("name", "invalid_format",
                    "an event type name is 1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'"));
        }
        if (OperationalEvents.isOperational(name)) {
            return Mono.error(ApiException.validation("name", "reserved", "event types starting with \""
                    + EventRequest.RESERVED_PREFIX + "\" are the service's own (operational events); choose another name"));
        }
        return bodies.readObject(request, MAX_BODY).flatMap(body -> {
            RequestFields fields = new RequestFields(body, FIELDS);
            String description = fields.string("description", false, 1024, null);
            StorableJson.checkText(description, "description", fields);
            boolean deprecated = fields.bool("deprecated", false);
            JsonNode schema = fields.raw("schema");
            if (schema != null && schema.isNull()) {
                schema = null;
            }
            if (schema != null) {
                StorableJson.check(schema, "schema", fields);
            }
            fields.throwIfInvalid();
            JsonNode given = schema;
            // Compiling reads the meta-schemas and may take milliseconds: not on an event loop.
            Mono<Optional<String>> checked = given == null ? Mono.just(Optional.empty())
                    : Mono.fromCallable(() -> {
                        compiler.compile(given);
                        return Optional.of(json.writeValueAsString(given));
                    }).subscribeOn(Schedulers.boundedElastic());
            return checked.flatMap(schemaJson -> eventTypes.put(tenant.organizationId(), name, description,
                            schemaJson.orElse(null), deprecated, Timestamps.now(), maxPerOrganization))
                    .switchIfEmpty(Mono.error(() -> ApiException.conflict("an organization has at most " + maxPerOrganization
                            + " event types; delete one before creating another")))
                    .doOnNext(stored -> schemas.forget(tenant.organizationId()))
                    .map(EventTypeView::of);
        });
    }

    @GetMapping("/v1/event-types")
    public Mono<EventTypeList> list(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant) {
        return eventTypes.list(tenant.organizationId()).map(found -> new EventTypeList(found.stream().map(EventTypeView::of).toList()));
    }

    @GetMapping("/v1/event-types/{name}")
    public Mono<EventTypeView> get(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("name") String name) {
        return eventTypes.find(tenant.organizationId(), name).switchIfEmpty(Mono.error(() -> notFound(name))).map(EventTypeView::of);
    }

    @DeleteMapping("/v1/event-types/{name}")
    public Mono<ResponseEntity<Void>> delete(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("name") String name) {
        return eventTypes.delete(tenant.organizationId(), name).map(deleted -> {
            if (!deleted) {
                throw notFound(name);
            }
            schemas.forget(tenant.organizationId());
            return ResponseEntity.noContent().<Void>build();
        });
    }

    private static ApiException notFound(String name) {
        return ApiException.notFound("event type " + name + " not found");
    }
}
