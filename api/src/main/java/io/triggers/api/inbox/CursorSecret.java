package io.triggers.api.inbox;

import io.triggers.api.events.EventSummary;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.BiFunction;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The installation's secret for signing listing cursors (the inbox's and the event log's), made
 * once per installation by a migration so every api replica signs and checks alike.
 */
@Component
public final class CursorSecret {

    private static final String CURSOR_SECRET = "SELECT secret FROM installation_secrets WHERE name = 'cursor'";

    private final Mono<byte[]> secret;

    CursorSecret(DatabaseClient db) {
        // The value is kept once read; a failure (PostgreSQL unreachable for a moment) is not, so the
        // next request reads it again instead of failing until a restart.
        this.secret = db.sql(CURSOR_SECRET).map(row -> row.get("secret", byte[].class)).one()
                .cache(found -> Duration.ofMillis(Long.MAX_VALUE), failure -> Duration.ZERO, () -> Duration.ZERO);
    }

    /** The secret, read once it can be. */
    public Mono<byte[]> get() {
        return secret;
    }

    /** A page of a listing in commit order, and the cursor to the next one (null on the last). */
    public record Page(List<EventSummary> events, String nextCursor) {
    }

    /**
     * A page of a listing in commit order (the inbox, the event log): {@code cursor} (a client's, or
     * null or empty for the first page) is checked against the organization and the query it was
     * given for, {@code read} fetches up to {@code limit + 1} events after it, and the cursor handed
     * out points at the last event shown when there are more.
     */
    public Mono<Page> page(UUID organizationId, String queryKey, String cursor, int limit,
                           BiFunction<InboxCursor, Integer, Mono<List<ListedEvent>>> read) {
        return secret.flatMap(key -> {
            InboxCursor after = cursor == null || cursor.isEmpty() ? null : InboxCursor.decode(cursor, key, organizationId, queryKey);
            return read.apply(after, limit + 1).map(found -> {
                List<EventSummary> events = found.stream().limit(limit).map(ListedEvent::event).toList();
                String next = found.size() <= limit ? null : found.get(limit - 1).position().encode(key, organizationId, queryKey);
                return new Page(events, next);
            });
        });
    }
}
