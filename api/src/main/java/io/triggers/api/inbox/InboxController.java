package io.triggers.api.inbox;

import io.triggers.api.auth.Tenant;
import io.triggers.api.events.EventRequest;
import io.triggers.api.events.EventSummary;
import io.triggers.api.web.QueryParameters;
import java.time.Instant;
import java.util.List;
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

    public record InboxPage(List<EventSummary> events, String nextCursor) {
    }

    private final InboxRepository inbox;
    private final CursorSecret cursorSecret;

    public InboxController(InboxRepository inbox, CursorSecret cursorSecret) {
        this.inbox = inbox;
        this.cursorSecret = cursorSecret;
    }

    @GetMapping("/v1/inbox")
    public Mono<InboxPage> list(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant,
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
        String cursor = given.get("cursor");
        return cursorSecret.get().flatMap(secret -> {
            InboxCursor after = cursor == null || cursor.isEmpty()
                    ? null
                    : InboxCursor.decode(cursor, secret, tenant.organizationId(), query.key());
            return inbox.page(tenant.organizationId(), query, after, limit + 1).map(found -> {
                List<EventSummary> events = found.stream().limit(limit).map(ListedEvent::event).toList();
                if (found.size() <= limit) {
                    return new InboxPage(events, null);
                }
                return new InboxPage(events, found.get(limit - 1).position().encode(secret, tenant.organizationId(), query.key()));
            });
        });
    }
}
