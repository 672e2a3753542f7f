package io.triggers.api.eventtypes;

import io.triggers.api.web.ApiException;
import java.util.Map;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * The compiled schemas of one organization's event types, by type name, as one replica last read
 * them. Immutable: a change is a new instance. A type that is not here is free-form, and an
 * organization without schemas shares {@link #NONE}, so checking its events costs one map lookup.
 */
public final class OrganizationSchemas {

    static final OrganizationSchemas NONE = new OrganizationSchemas(Map.of());

    private final Map<String, EventSchema> byType;
    /** This, ready to be handed to a reactive caller without allocating. */
    private final Mono<OrganizationSchemas> mono;

    OrganizationSchemas(Map<String, EventSchema> byType) {
        this.byType = Map.copyOf(byType);
        this.mono = Mono.just(this);
    }

    /** Null when {@code eventType} has no schema or {@code payload} matches it; otherwise the {@code 400} to answer. */
    public ApiException check(String eventType, JsonNode payload) {
        if (byType.isEmpty()) {
            return null;
        }
        EventSchema schema = byType.get(eventType);
        return schema == null ? null : schema.check(eventType, payload);
    }

    Mono<OrganizationSchemas> mono() {
        return mono;
    }
}
