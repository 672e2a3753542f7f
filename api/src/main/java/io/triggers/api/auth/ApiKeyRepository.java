package io.triggers.api.auth;

import io.triggers.api.keys.ApiKeys;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Resolves a presented API key to its organization: one lookup on the unique hash index. */
@Component
public final class ApiKeyRepository {

    private static final String FIND_ACTIVE = """
            SELECT k.id AS key_id, o.id AS organization_id, o.name, o.tier, o.rate_limit_per_minute
            FROM api_keys k
            JOIN organizations o ON o.id = k.organization_id
            WHERE k.key_hash = :hash
              AND k.revoked_at IS NULL
              AND (k.expires_at IS NULL OR k.expires_at > now())
            """;

    private final DatabaseClient db;

    public ApiKeyRepository(DatabaseClient db) {
        this.db = db;
    }

    /** The tenant of an active key, or empty for an unknown, revoked or expired one. */
    public Mono<Tenant> findActive(String key) {
        return db.sql(FIND_ACTIVE)
                .bind("hash", ApiKeys.hash(key))
                .map(row -> new Tenant(
                        row.get("organization_id", UUID.class),
                        row.get("key_id", UUID.class),
                        row.get("name", String.class),
                        row.get("tier", String.class),
                        row.get("rate_limit_per_minute", Integer.class)))
                .one();
    }
}
