package io.triggers.api.organizations;

import io.r2dbc.spi.Readable;
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
                INSERT INTO organizations (id, name, tier, rate_limit_per_minute, retention_days, created_at, updated_at)
                VALUES (:id, :name, :tier, :rateLimit, :retentionDays, :now, :now)
                RETURNING id
            )
            INSERT INTO api_keys (id, organization_id, key_hash, prefix, created_at)
            SELECT :keyId, organization.id, :keyHash, :keyPrefix, :now FROM organization
            """;

    private static final String FIND = """
            SELECT id, name, tier, rate_limit_per_minute, retention_days, created_at, updated_at FROM organizations WHERE id = :id
            """;

    // Each field changes only when its set* flag is true (absent from the PATCH body otherwise).
    private static final String UPDATE = """
            UPDATE organizations
            SET name = CASE WHEN :setName THEN :name ELSE name END,
                tier = CASE WHEN :setTier THEN :tier ELSE tier END,
                rate_limit_per_minute = CASE WHEN :setRateLimit THEN :rateLimit ELSE rate_limit_per_minute END,
                retention_days = CASE WHEN :setRetention THEN :retentionDays ELSE retention_days END,
                updated_at = :now
            WHERE id = :id
            RETURNING id, name, tier, rate_limit_per_minute, retention_days, created_at, updated_at
            """;

    /**
     * An organization as stored; {@code rateLimitOverride} null means its tier's limit,
     * {@code retentionDays} null the installation's {@code TRIGGERS_RETENTION_UNDELIVERED}.
     */
    public record Organization(UUID id, String name, String tier, Integer rateLimitOverride, Integer retentionDays,
                               Instant createdAt, Instant updatedAt) {
    }

    /** A PATCH: per field, whether it was given, and its new value. */
    public record Changes(boolean setName, String name, boolean setTier, String tier, boolean setRateLimit, Integer rateLimit,
                          boolean setRetention, Integer retentionDays) {
    }

    private final DatabaseClient db;

    public OrganizationRepository(DatabaseClient db) {
        this.db = db;
    }

    public Mono<Void> create(UUID id, String name, String tier, Integer rateLimit, Integer retentionDays, Instant now,
                             UUID keyId, byte[] keyHash, String keyPrefix) {
        return db.sql(CREATE_WITH_KEY)
                .bind("id", id)
                .bind("name", name)
                .bind("tier", tier)
                .bind("rateLimit", Parameter.fromOrEmpty(rateLimit, Integer.class))
                .bind("retentionDays", Parameter.fromOrEmpty(retentionDays, Integer.class))
                .bind("now", now)
                .bind("keyId", keyId)
                .bind("keyHash", keyHash)
                .bind("keyPrefix", keyPrefix)
                .then();
    }

    public Mono<Organization> find(UUID id) {
        return db.sql(FIND).bind("id", id).map(OrganizationRepository::organization).one();
    }

    public Mono<Organization> update(UUID id, Changes changes, Instant now) {
        return db.sql(UPDATE)
                .bind("setName", changes.setName())
                .bind("name", Parameter.fromOrEmpty(changes.name(), String.class))
                .bind("setTier", changes.setTier())
                .bind("tier", Parameter.fromOrEmpty(changes.tier(), String.class))
                .bind("setRateLimit", changes.setRateLimit())
                .bind("rateLimit", Parameter.fromOrEmpty(changes.rateLimit(), Integer.class))
                .bind("setRetention", changes.setRetention())
                .bind("retentionDays", Parameter.fromOrEmpty(changes.retentionDays(), Integer.class))
                .bind("now", now)
                .bind("id", id)
                .map(OrganizationRepository::organization)
                .one();
    }

    private static Organization organization(Readable row) {
        return new Organization(row.get("id", UUID.class), row.get("name", String.class), row.get("tier", String.class),
                row.get("rate_limit_per_minute", Integer.class), row.get("retention_days", Integer.class),
                row.get("created_at", Instant.class),
                row.get("updated_at", Instant.class));
    }
}
