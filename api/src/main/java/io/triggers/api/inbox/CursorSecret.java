package io.triggers.api.inbox;

import java.time.Duration;
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
}
