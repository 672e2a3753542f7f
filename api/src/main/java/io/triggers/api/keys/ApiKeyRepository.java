package io.triggers.api.keys;

import io.triggers.api.auth.Tenant;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/** API keys: resolving a presented key, and managing an organization's keys. */
@Component
public final class ApiKeyRepository {

    private static final String FIND_ACTIVE = """
            SELECT k.id AS key_id, k.expires_at, o.id AS organization_id, o.name, o.tier, o.rate_limit_per_minute
            FROM api_keys k
            JOIN organizations o ON o.id = k.organization_id
            WHERE k.key_hash = :hash
              AND k.revoked_at IS NULL
              AND (k.expires_at IS NULL OR k.expires_at > now())
            """;

    private static final String LIST_ACTIVE = """
            SELECT id, prefix, created_at, expires_at, last_used_at
            FROM api_keys
            WHERE organization_id = :organizationId AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now)
            ORDER BY created_at, id
            """;

    private static final String INSERT = """
            INSERT INTO api_keys (id, organization_id, key_hash, prefix, created_at)
            VALUES (:id, :organizationId, :hash, :prefix, :now)
            """;

    // The old key is revoked (grace 0) or set to expire after the grace period (never later than
    // it already would), and the new key inserted, in one statement; nothing happens for a key
    // that is not the organization's or no longer active.
    private static final String ROTATE = """
            WITH old AS (
                UPDATE api_keys
                SET revoked_at = CASE WHEN :grace = 0 THEN :now ELSE revoked_at END,
                    expires_at = CASE WHEN :grace = 0 THEN expires_at
                                      ELSE least(coalesce(expires_at, 'infinity'::timestamptz), :now + make_interval(secs => :grace)) END
                WHERE id = :id AND organization_id = :organizationId
                  AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now)
                RETURNING organization_id
            )
            INSERT INTO api_keys (id, organization_id, key_hash, prefix, created_at)
            SELECT :newId, organization_id, :hash, :prefix, :now FROM old
            """;

    private static final String LOCK_ORGANIZATION = "SELECT id FROM organizations WHERE id = :organizationId FOR UPDATE";

    private static final String COUNT_ACTIVE = """
            SELECT count(*) FILTER (WHERE id = :id) AS this_key, count(*) AS all_keys
            FROM api_keys
            WHERE organization_id = :organizationId AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now)
            """;

    private static final String REVOKE = "UPDATE api_keys SET revoked_at = :now WHERE id = :id AND organization_id = :organizationId";

    private static final String RECORD_USE = """
            UPDATE api_keys k SET last_used_at = used.at::timestamptz
            FROM unnest(:ids::uuid[], :times::text[]) AS used(id, at)
            WHERE k.id = used.id AND (k.last_used_at IS NULL OR k.last_used_at < used.at::timestamptz)
            """;

    /** A key's tenant and when the key stops working (null: never). */
    public record ResolvedKey(Tenant tenant, Instant expiresAt) {
    }

    public record KeyInfo(UUID id, String prefix, Instant createdAt, Instant expiresAt, Instant lastUsedAt) {
    }

    /** What {@link #revoke} found. */
    public enum Revocation { REVOKED, NOT_FOUND, LAST_KEY }

    private final DatabaseClient db;
    private final TransactionalOperator transactions;

    public ApiKeyRepository(DatabaseClient db, ReactiveTransactionManager transactionManager) {
        this.db = db;
        this.transactions = TransactionalOperator.create(transactionManager);
    }

    /** The tenant of an active key, or empty for an unknown, revoked or expired one. */
    public Mono<ResolvedKey> findActive(byte[] keyHash) {
        return db.sql(FIND_ACTIVE)
                .bind("hash", keyHash)
                .map(row -> new ResolvedKey(new Tenant(
                        row.get("organization_id", UUID.class),
                        row.get("key_id", UUID.class),
                        row.get("name", String.class),
                        row.get("tier", String.class),
                        row.get("rate_limit_per_minute", Integer.class)), row.get("expires_at", Instant.class)))
                .one();
    }

    public Mono<List<KeyInfo>> listActive(UUID organizationId, Instant now) {
        return db.sql(LIST_ACTIVE)
                .bind("organizationId", organizationId)
                .bind("now", now)
                .map(row -> new KeyInfo(row.get("id", UUID.class), row.get("prefix", String.class),
                        row.get("created_at", Instant.class), row.get("expires_at", Instant.class),
                        row.get("last_used_at", Instant.class)))
                .all()
                .collectList();
    }

    public Mono<Void> insert(UUID organizationId, UUID id, byte[] keyHash, String prefix, Instant now) {
        return db.sql(INSERT)
                .bind("id", id)
                .bind("organizationId", organizationId)
                .bind("hash", keyHash)
                .bind("prefix", prefix)
                .bind("now", now)
                .then();
    }

    /** Emits whether the old key was found (and so the new one inserted). */
    public Mono<Boolean> rotate(UUID organizationId, UUID oldId, int graceSeconds, UUID newId, byte[] newHash,
                                String newPrefix, Instant now) {
        return db.sql(ROTATE)
                .bind("grace", graceSeconds)
                .bind("now", now)
                .bind("id", oldId)
                .bind("organizationId", organizationId)
                .bind("newId", newId)
                .bind("hash", newHash)
                .bind("prefix", newPrefix)
                .fetch()
                .rowsUpdated()
                .map(rows -> rows > 0);
    }

    /**
     * Revokes a key unless it is the organization's last active one. The organization row is
     * locked first, so two concurrent deletions cannot each leave the other key as the last.
     */
    public Mono<Revocation> revoke(UUID organizationId, UUID id, Instant now) {
        Mono<Revocation> work = db.sql(LOCK_ORGANIZATION).bind("organizationId", organizationId).fetch().rowsUpdated()
                .then(db.sql(COUNT_ACTIVE)
                        .bind("id", id)
                        .bind("organizationId", organizationId)
                        .bind("now", now)
                        .map(row -> Map.entry(row.get("this_key", Long.class), row.get("all_keys", Long.class)))
                        .one())
                .flatMap(counts -> {
                    if (counts.getKey() == 0) {
                        return Mono.just(Revocation.NOT_FOUND);
                    }
                    if (counts.getValue() <= 1) {
                        return Mono.just(Revocation.LAST_KEY);
                    }
                    return db.sql(REVOKE).bind("now", now).bind("id", id).bind("organizationId", organizationId)
                            .then().thenReturn(Revocation.REVOKED);
                });
        return transactions.transactional(work);
    }

    /** Stores last-use times (only ever moving them forward). */
    public Mono<Void> recordUse(Map<UUID, Instant> lastUses) {
        if (lastUses.isEmpty()) {
            return Mono.empty();
        }
        List<Map.Entry<UUID, Instant>> entries = List.copyOf(lastUses.entrySet());
        return db.sql(RECORD_USE)
                .bind("ids", entries.stream().map(Map.Entry::getKey).toArray(UUID[]::new))
                .bind("times", entries.stream().map(entry -> entry.getValue().toString()).toArray(String[]::new))
                .then();
    }
}
