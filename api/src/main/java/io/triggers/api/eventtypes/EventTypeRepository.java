package io.triggers.api.eventtypes;

import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/** Stored event types (V16__event_types.sql). */
@Component
public final class EventTypeRepository {

    private static final String COLUMNS = "name, description, schema::text AS schema, deprecated, created_at, updated_at";

    // Writes for one organization queue on its row, so each one counts what the one before it stored
    // (as endpoint creations do). NO KEY UPDATE: events inserted meanwhile (KEY SHARE) do not wait.
    private static final String LOCK_ORGANIZATION = "SELECT id FROM organizations WHERE id = :organizationId FOR NO KEY UPDATE";

    // A new type only while the organization has fewer than :limit; an existing one is replaced
    // whole (PUT), with a new revision.
    private static final String UPSERT_WITHIN_LIMIT = """
            INSERT INTO event_types (organization_id, name, description, schema, deprecated, created_at, updated_at)
            SELECT :organizationId, :name, :description, :schema::jsonb, :deprecated, :now, :now
            WHERE EXISTS (SELECT 1 FROM event_types WHERE organization_id = :organizationId AND name = :name)
               OR (SELECT count(*) FROM event_types WHERE organization_id = :organizationId) < :limit
            ON CONFLICT (organization_id, name) DO UPDATE
            SET description = EXCLUDED.description, schema = EXCLUDED.schema, deprecated = EXCLUDED.deprecated,
                revision = nextval('event_types_revision'), updated_at = EXCLUDED.updated_at
            RETURNING
            """ + COLUMNS;

    private static final String FIND = "SELECT " + COLUMNS + " FROM event_types WHERE organization_id = :organizationId AND name = :name";

    private static final String LIST = "SELECT " + COLUMNS + " FROM event_types WHERE organization_id = :organizationId ORDER BY name COLLATE \"C\"";

    private static final String DELETE = "DELETE FROM event_types WHERE organization_id = :organizationId AND name = :name";

    private static final String SCHEMA_REVISIONS =
            "SELECT name, revision FROM event_types WHERE organization_id = :organizationId AND schema IS NOT NULL";

    private static final String SCHEMAS = """
            SELECT name, revision, schema::text AS schema FROM event_types
            WHERE organization_id = :organizationId AND name = ANY(:names) AND schema IS NOT NULL
            """;

    /** An event type as stored; {@code schemaJson} is null when it has none. */
    public record StoredEventType(String name, String description, String schemaJson, boolean deprecated,
                                  Instant createdAt, Instant updatedAt) {
    }

    /** Which version of a type's schema is stored. */
    public record Revision(String name, long revision) {
    }

    /** A type's schema as stored, with its revision. */
    public record StoredSchema(String name, long revision, String schemaJson) {
    }

    private final DatabaseClient db;
    private final TransactionalOperator transactions;

    public EventTypeRepository(DatabaseClient db, ReactiveTransactionManager transactionManager) {
        this.db = db;
        this.transactions = TransactionalOperator.create(transactionManager);
    }

    /**
     * Creates or replaces the type; emits it as stored, or nothing when it is new and the
     * organization already has {@code limit} types.
     */
    public Mono<StoredEventType> put(UUID organizationId, String name, String description, String schemaJson, boolean deprecated,
                                     Instant now, int limit) {
        Mono<StoredEventType> work = db.sql(LOCK_ORGANIZATION).bind("organizationId", organizationId).fetch().rowsUpdated()
                .then(db.sql(UPSERT_WITHIN_LIMIT)
                        .bind("organizationId", organizationId)
                        .bind("name", name)
                        .bind("description", Parameter.fromOrEmpty(description, String.class))
                        .bind("schema", Parameter.fromOrEmpty(schemaJson, String.class))
                        .bind("deprecated", deprecated)
                        .bind("now", now)
                        .bind("limit", (long) limit)
                        .map(EventTypeRepository::eventType)
                        .one());
        return transactions.transactional(work);
    }

    public Mono<StoredEventType> find(UUID organizationId, String name) {
        return db.sql(FIND).bind("organizationId", organizationId).bind("name", name).map(EventTypeRepository::eventType).one();
    }

    public Mono<List<StoredEventType>> list(UUID organizationId) {
        return db.sql(LIST).bind("organizationId", organizationId).map(EventTypeRepository::eventType).all().collectList();
    }

    /** Emits whether the type existed. */
    public Mono<Boolean> delete(UUID organizationId, String name) {
        return db.sql(DELETE).bind("organizationId", organizationId).bind("name", name).fetch().rowsUpdated().map(rows -> rows > 0);
    }

    /** The revisions of the organization's types that have a schema (none: an empty list). */
    public Mono<List<Revision>> schemaRevisions(UUID organizationId) {
        return db.sql(SCHEMA_REVISIONS).bind("organizationId", organizationId)
                .map(row -> new Revision(row.get("name", String.class), row.get("revision", Long.class)))
                .all()
                .collectList();
    }

    /** The schemas of these types (those that still have one). */
    public Mono<List<StoredSchema>> schemas(UUID organizationId, List<String> names) {
        return db.sql(SCHEMAS).bind("organizationId", organizationId).bind("names", names.toArray(String[]::new))
                .map(row -> new StoredSchema(row.get("name", String.class), row.get("revision", Long.class), row.get("schema", String.class)))
                .all()
                .collectList();
    }

    private static StoredEventType eventType(Readable row) {
        return new StoredEventType(row.get("name", String.class), row.get("description", String.class), row.get("schema", String.class),
                Boolean.TRUE.equals(row.get("deprecated", Boolean.class)), row.get("created_at", Instant.class),
                row.get("updated_at", Instant.class));
    }
}
