package io.triggers.api.inbox;

import io.triggers.api.auth.Tenant;
import io.triggers.api.events.EventSummary;
import io.triggers.api.web.ApiException;
import io.triggers.api.web.FieldIssue;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
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
    private static final Pattern EVENT_TYPE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    public record InboxPage(List<EventSummary> events, String nextCursor) {
    }

    private final InboxRepository inbox;

    public InboxController(InboxRepository inbox) {
        this.inbox = inbox;
    }

    @GetMapping("/v1/inbox")
    public Mono<InboxPage> list(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant,
                                @RequestParam MultiValueMap<String, String> parameters) {
        List<FieldIssue> issues = new ArrayList<>();
        List<String> messages = new ArrayList<>();
        for (String name : parameters.keySet()) {
            if (!PARAMETERS.contains(name)) {
                issues.add(new FieldIssue(name, "unknown_parameter"));
                messages.add("unknown query parameter " + name);
            } else if (parameters.get(name).size() > 1) {
                issues.add(new FieldIssue(name, "repeated"));
                messages.add(name + " may be given once");
            }
        }
        int limit = limit(parameters.getFirst("limit"), issues, messages);
        String status = matching(parameters.getFirst("status"), STATUSES, "status", "one of pending, failed, dead", issues, messages);
        String eventType = matching(parameters.getFirst("event_type"), EVENT_TYPE, "event_type", "an event type", issues, messages);
        String source = parameters.getFirst("source");
        if (source != null && (source.isEmpty() || source.length() > 128)) {
            issues.add(new FieldIssue("source", "invalid_value"));
            messages.add("source must be 1 to 128 characters");
        }
        Instant createdAfter = time(parameters.getFirst("created_after"), "created_after", issues, messages);
        Instant createdBefore = time(parameters.getFirst("created_before"), "created_before", issues, messages);
        String order = parameters.getFirst("order");
        if (order != null && !order.equals("asc") && !order.equals("desc")) {
            issues.add(new FieldIssue("order", "invalid_value"));
            messages.add("order must be asc or desc");
        }
        if (!issues.isEmpty()) {
            return Mono.error(ApiException.validation(messages.get(0), issues));
        }
        InboxQuery query = new InboxQuery(status, eventType, source, createdAfter, createdBefore, "desc".equals(order));
        String cursor = parameters.getFirst("cursor");
        return inbox.cursorSecret().flatMap(secret -> {
            InboxCursor after = cursor == null || cursor.isEmpty()
                    ? null
                    : InboxCursor.decode(cursor, secret, tenant.organizationId(), query.key());
            return inbox.page(tenant.organizationId(), query, after, limit + 1).map(found -> {
                List<EventSummary> events = found.stream().limit(limit).map(InboxRepository.Listed::event).toList();
                if (found.size() <= limit) {
                    return new InboxPage(events, null);
                }
                return new InboxPage(events, found.get(limit - 1).position().encode(secret, tenant.organizationId(), query.key()));
            });
        });
    }

    private static int limit(String value, List<FieldIssue> issues, List<String> messages) {
        if (value == null) {
            return 50;
        }
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= 500) {
                return limit;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        issues.add(new FieldIssue("limit", "invalid_value"));
        messages.add("limit must be an integer from 1 to 500");
        return 50;
    }

    private static String matching(String value, Pattern pattern, String name, String what, List<FieldIssue> issues,
                                   List<String> messages) {
        if (value != null && !pattern.matcher(value).matches()) {
            issues.add(new FieldIssue(name, "invalid_value"));
            messages.add(name + " must be " + what);
            return null;
        }
        return value;
    }

    private static Instant time(String value, String name, List<FieldIssue> issues, List<String> messages) {
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            issues.add(new FieldIssue(name, "invalid_format"));
            messages.add(name + " must be an RFC 3339 time such as 2026-11-22T10:15:30.123Z");
            return null;
        }
    }
}
