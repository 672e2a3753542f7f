package io.triggers.api.eventlog;

import io.triggers.api.auth.Tenant;
import io.triggers.api.endpoints.EndpointRepository;
import io.triggers.api.events.EventRequest;
import io.triggers.api.inbox.CursorSecret;
import io.triggers.api.web.PathIds;
import io.triggers.api.web.QueryParameters;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/events}: every event of the organization whatever its status (the inbox lists
 * only what is still owed), newest first by default, with keyset pagination and the inbox's
 * guarantee: following {@code next_cursor} to the end returns every matching event exactly once.
 * The service's own events ({@code triggers.*}) are listed too: they are the organization's, and
 * an endpoint test or an operational event is worth finding here.
 */
@RestController
public final class EventLogController {

    private static final Set<String> PARAMETERS = Set.of("limit", "cursor", "status", "event_type", "source",
            "endpoint_id", "created_after", "created_before", "order");
    private static final Pattern STATUSES = Pattern.compile("pending|delivered|failed|dead|acknowledged");

    private final EventLogRepository log;
    private final CursorSecret cursorSecret;
    private final EndpointRepository endpoints;

    EventLogController(EventLogRepository log, CursorSecret cursorSecret, EndpointRepository endpoints) {
        this.log = log;
        this.cursorSecret = cursorSecret;
        this.endpoints = endpoints;
    }

    @GetMapping("/v1/events")
    public Mono<CursorSecret.Page> list(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant,
                                   @RequestParam MultiValueMap<String, String> parameters) {
        QueryParameters given = new QueryParameters(parameters, PARAMETERS);
        int limit = given.limit(50, 500);
        String status = given.matching("status", STATUSES, "one of pending, delivered, failed, dead, acknowledged");
        String eventType = given.matching("event_type", EventRequest.EVENT_TYPE, "an event type");
        String source = given.text("source", 128);
        UUID endpointId = given.uuid("endpoint_id");
        Instant createdAfter = given.time("created_after");
        Instant createdBefore = given.time("created_before");
        boolean descending = given.descending(true);
        given.throwIfInvalid();
        EventLogQuery query = new EventLogQuery(status, eventType, source, endpointId, createdAfter, createdBefore, descending);
        UUID organizationId = tenant.organizationId();
        Mono<Boolean> endpointKnown = endpointId == null ? Mono.just(true) : endpoints.find(organizationId, endpointId).hasElement();
        return endpointKnown.flatMap(known -> known
                ? cursorSecret.page(organizationId, query.key(), given.get("cursor"), limit,
                        (after, rows) -> log.page(organizationId, query, after, rows))
                : Mono.error(PathIds.notFound("endpoint", endpointId.toString())));
    }
}
