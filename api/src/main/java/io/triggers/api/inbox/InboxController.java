package io.triggers.api.inbox;

import io.triggers.api.auth.Tenant;
import io.triggers.api.events.EventRequest;
import io.triggers.api.web.QueryParameters;
import java.time.Instant;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/inbox}: events neither delivered nor acknowledged, for pull consumers, oldest
 * first by default (in the order they were committed), with keyset pagination. Following
 * {@code next_cursor} to the end returns every event that matched when the listing began exactly
 * once; events arriving meanwhile show up at the end of an ascending listing, never behind its cursor.
 */
@RestController
public final class InboxController {

    private static final Set<String> PARAMETERS = Set.of("limit", "cursor", "status", "event_type", "source",
            "created_after", "created_before", "order");
    private static final Pattern STATUSES = Pattern.compile("pending|failed|dead");

    private final InboxRepository inbox;
    private final CursorSecret cursorSecret;

    public InboxController(InboxRepository inbox, CursorSecret cursorSecret) {
        this.inbox = inbox;
        this.cursorSecret = cursorSecret;
    }

    @GetMapping("/v1/inbox")
    public Mono<CursorSecret.Page> list(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant,
                                @RequestParam MultiValueMap<String, String> parameters) {
        QueryParameters given = new QueryParameters(parameters, PARAMETERS);
        int limit = given.limit(50, 500);
        String status = given.matching("status", STATUSES, "one of pending, failed, dead");
        String eventType = given.matching("event_type", EventRequest.EVENT_TYPE, "an event type");
        String source = given.text("source", 128);
        Instant createdAfter = given.time("created_after");
        Instant createdBefore = given.time("created_before");
        boolean descending = given.descending(false);
        given.throwIfInvalid();
        InboxQuery query = new InboxQuery(status, eventType, source, createdAfter, createdBefore, descending);
        return cursorSecret.page(tenant.organizationId(), query.key(), given.get("cursor"), limit,
                (after, rows) -> inbox.page(tenant.organizationId(), query, after, rows));
    }
}
