package io.triggers.api.organizations;

import java.time.Instant;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Organizations and their first key. */
@Component
public final class OrganizationRepository {

    // One statement, so the organization never exists without its first key.
    private static final String CREATE_WITH_KEY = """
            WITH organization AS (
                INSERT INTO organizations (id, name, tier, rate_limit_per_minute, created_at, updated_at)
                VALUES (:id, :name, :tier, :rateLimit, :now, :now)
                RETURNING id
            )
            INSERT INTO api_keys (id, organization_id, key_hash, prefix, created_at)
            SELECT :keyId, organization.id, :keyHash, :keyPrefix, :now FROM organization
            """;

    private final DatabaseClient db;

    public OrganizationRepository(DatabaseClient db) {
        this.db = db;
    }

    public Mono<Void> create(UUID id, String name, String tier, Integer rateLimit, Instant now,
                             UUID keyId, byte[] keyHash, String keyPrefix) {
        return db.sql(CREATE_WITH_KEY)
                .bind("id", id)
                .bind("name", name)
                .bind("tier", tier)
                .bind("rateLimit", Parameter.fromOrEmpty(rateLimit, Integer.class))
                .bind("now", now)
                .bind("keyId", keyId)
                .bind("keyHash", keyHash)
                .bind("keyPrefix", keyPrefix)
                .then();
    }
}
