package io.triggers.api.endpoints;

import io.triggers.api.auth.Tenant;
import io.triggers.api.web.JsonBodies;
import io.triggers.api.web.RequestFields;
import io.triggers.shared.ids.UuidV7;
import io.triggers.shared.time.Timestamps;
import io.triggers.shared.webhooks.WebhookSigner;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Webhook endpoints of the caller's organization. */
@RestController
public final class EndpointsController {

    private static final Set<String> FIELDS = Set.of("url", "description", "event_types", "enabled");
    /** An event type, or a prefix pattern: {@code invoice.*}, or {@code *} for everything. */
    static final Pattern EVENT_TYPE_FILTER = Pattern.compile("\\*|[A-Za-z0-9._:-]{1,128}|[A-Za-z0-9._:-]{1,126}\\.\\*");
    private static final long MAX_BODY = 64 * 1024;

    /** An endpoint as its creator sees it, secret included (only here and on the secret calls). */
    public record CreatedEndpoint(UUID id, String url, String description, List<String> eventTypes, boolean enabled,
                                  String secret, Instant createdAt, Instant updatedAt) {
    }

    private final EndpointRepository endpoints;
    private final JsonBodies bodies;

    public EndpointsController(EndpointRepository endpoints, JsonBodies bodies) {
        this.endpoints = endpoints;
        this.bodies = bodies;
    }

    @PostMapping("/v1/endpoints")
    @ResponseStatus(HttpStatus.CREATED)
    public Mono<CreatedEndpoint> create(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, ServerHttpRequest request) {
        return bodies.readObject(request, MAX_BODY).flatMap(body -> {
            RequestFields fields = new RequestFields(body, FIELDS);
            String url = EndpointUrls.check(fields.string("url", true, EndpointUrls.MAX_LENGTH, null), fields);
            String description = fields.string("description", false, 1024, null);
            List<String> eventTypes = fields.strings("event_types", 100, 128, EVENT_TYPE_FILTER);
            boolean enabled = fields.bool("enabled", true);
            fields.throwIfInvalid();
            Instant now = Timestamps.now();
            CreatedEndpoint endpoint = new CreatedEndpoint(UuidV7.next(), url, description, eventTypes, enabled,
                    WebhookSigner.newSecret(), now, now);
            return endpoints.insert(tenant.organizationId(), endpoint).thenReturn(endpoint);
        });
    }
}
