package io.triggers.api.endpoints;

import io.r2dbc.spi.Readable;
import io.triggers.shared.crypto.SecretCipher;
import io.triggers.shared.logging.ThrottledLog;
import io.triggers.shared.queue.QueueEntry;
import io.triggers.shared.storage.StorageFailures;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Stored webhook endpoints. */
@Component
public final class EndpointRepository {

    private static final String COLUMNS = """
            id, url, description, event_types, enabled, rate_limit_per_second, max_in_flight, disabled_reason, disabled_at,
            created_at, updated_at, headers, filter::text AS filter, retry_schedule_ms
            """;

    // Creations for one organization queue on its row, so each one counts what the one before it
    // inserted (the count below is a statement of its own, with a snapshot taken after the lock).
    // NO KEY UPDATE: events and keys inserted meanwhile (whose foreign keys take KEY SHARE) do not wait.
    private static final String LOCK_ORGANIZATION = "SELECT id FROM organizations WHERE id = :organizationId FOR NO KEY UPDATE";

    private static final String INSERT_WITHIN_LIMIT = """
            INSERT INTO endpoints (id, organization_id, url, description, event_types, enabled, rate_limit_per_second,
                                   max_in_flight, secret, created_at, updated_at, headers, filter, filter_path, retry_schedule_ms)
            SELECT :id, :organizationId, :url, :description, :eventTypes, :enabled, :rateLimitPerSecond, :maxInFlight,
                   :secret, :createdAt, :createdAt, :headers, :filter::jsonb, :filterPath::jsonpath, :retryScheduleMs::bigint[]
            WHERE (SELECT count(*) FROM endpoints WHERE organization_id = :organizationId) < :limit
            """;

    private static final String LIST = "SELECT " + COLUMNS + " FROM endpoints WHERE organization_id = :organizationId ORDER BY created_at, id";

    private static final String FIND = "SELECT " + COLUMNS + " FROM endpoints WHERE id = :id AND organization_id = :organizationId";

    private static final String SECRET = "SELECT secret FROM endpoints WHERE id = :id AND organization_id = :organizationId";

    // Re-enabling clears why the service disabled it, and the run of failures that led there.
    // Disabling by hand clears it too: no reason means disabled by hand, so deliveries pause.
    private static final String UPDATE = """
            WITH before AS (
                SELECT id AS before_id, enabled AS was_enabled FROM endpoints
                WHERE id = :id AND organization_id = :organizationId FOR UPDATE
            )
            UPDATE endpoints
            SET url = CASE WHEN :setUrl THEN :url ELSE url END,
                description = CASE WHEN :setDescription THEN :description ELSE description END,
                event_types = CASE WHEN :setEventTypes THEN :eventTypes ELSE event_types END,
                enabled = CASE WHEN :setEnabled THEN :enabled ELSE enabled END,
                rate_limit_per_second = CASE WHEN :setRateLimitPerSecond THEN :rateLimitPerSecond ELSE rate_limit_per_second END,
                max_in_flight = CASE WHEN :setMaxInFlight THEN :maxInFlight ELSE max_in_flight END,
                headers = CASE WHEN :setHeaders THEN :headers ELSE headers END,
                filter = CASE WHEN :setFilter THEN :filter::jsonb ELSE filter END,
                filter_path = CASE WHEN :setFilter THEN :filterPath::jsonpath ELSE filter_path END,
                retry_schedule_ms = CASE WHEN :setRetrySchedule THEN :retryScheduleMs::bigint[] ELSE retry_schedule_ms END,
                disabled_reason = CASE WHEN :setEnabled THEN NULL ELSE disabled_reason END,
                disabled_at = CASE WHEN :setEnabled THEN NULL ELSE disabled_at END,
                failing_since = CASE WHEN :setEnabled AND :enabled THEN NULL ELSE failing_since END,
                updated_at = :now
            FROM before
            WHERE id = before.before_id
            RETURNING was_enabled,
            """ + COLUMNS;

    private static final String DELETE = "DELETE FROM endpoints WHERE id = :id AND organization_id = :organizationId";

    // A test event: stored like any other, with one delivery, to this endpoint only (whatever its
    // event_types and filter). Nothing when the endpoint does not exist or is disabled.
    private static final String TEST_EVENT = """
            WITH endpoint AS (
                SELECT id, organization_id FROM endpoints WHERE id = :endpointId AND organization_id = :organizationId AND enabled
            ),
            event AS (
                INSERT INTO events (id, organization_id, event_type, source, payload, metadata, status, request_id, created_at, updated_at)
                SELECT :eventId, organization_id, :eventType, 'triggers', :payload::jsonb, '{}'::jsonb, 'pending', :requestId, :now, :now
                FROM endpoint
                RETURNING id, organization_id
            )
            INSERT INTO deliveries (event_id, endpoint_id, organization_id, status, created_at, updated_at)
            SELECT event.id, endpoint.id, event.organization_id, 'pending', :now, :now FROM event, endpoint
            """;

    // Disabled by hand: what it is still owed waits, neither attempted nor dead-lettered.
    private static final String PAUSE = """
            UPDATE deliveries SET status = 'paused', next_attempt_at = NULL, updated_at = :now
            WHERE endpoint_id = :id AND organization_id = :organizationId AND status IN ('pending', 'failed')
            """;

    // Enabled again: what waited is pending again (its retry schedule goes on where it was) and is queued.
    private static final String RESUME = """
            WITH resumed AS (
                UPDATE deliveries SET status = 'pending', next_attempt_at = NULL, updated_at = :now
                WHERE endpoint_id = :id AND organization_id = :organizationId AND status = 'paused'
                RETURNING event_id
            )
            SELECT resumed.event_id, e.request_id, e.trace_parent FROM resumed JOIN events e ON e.id = resumed.event_id
            WHERE e.status <> 'acknowledged'
            """;

    // The old secret keeps signing for 24 hours (unless it was itself replaced within them: then the one before is dropped).
    private static final String ROTATE_SECRET = """
            UPDATE endpoints
            SET previous_secret = secret, previous_secret_expires_at = :now + interval '24 hours', secret = :secret, updated_at = :now
            WHERE id = :id AND organization_id = :organizationId
            """;

    /**
     * An endpoint as stored; {@code rateLimitPerSecond} is {@code null} when it has no rate limit of its own.
     */
    public record Endpoint(UUID id, String url, String description, List<String> eventTypes, boolean enabled,
                           Integer rateLimitPerSecond, int maxInFlight, String disabledReason, Instant disabledAt,
                           Instant createdAt, Instant updatedAt, Options options) {
    }

    /**
     * The endpoint options: static headers (decrypted; null: none), the filter as given and compiled
     * (null: none), its own retry schedule (null: the service's).
     */
    public record Options(Map<String, String> headers, JsonNode filter, String filterPath, List<Duration> retrySchedule) {

        static final Options NONE = new Options(null, null, null, null);
    }

    /** A PATCH: per field, whether it was given, and its new value ({@code null} rate: no limit). */
    public record Changes(boolean setUrl, String url, boolean setDescription, String description,
                          boolean setEventTypes, List<String> eventTypes, boolean setEnabled, boolean enabled,
                          boolean setRateLimitPerSecond, Integer rateLimitPerSecond, boolean setMaxInFlight, int maxInFlight,
                          boolean setHeaders, boolean setFilter, boolean setRetrySchedule, Options options) {
    }

    private final DatabaseClient db;
    private final SecretCipher cipher;
    private final TransactionalOperator transactions;
    private final JsonMapper json;

    public EndpointRepository(DatabaseClient db, SecretCipher cipher, ReactiveTransactionManager transactionManager, JsonMapper json) {
        this.db = db;
        this.cipher = cipher;
        this.transactions = TransactionalOperator.create(transactionManager);
        this.json = json;
    }

    /** Binds an endpoint's options: the headers sealed like its secrets, under its id. */
    private DatabaseClient.GenericExecuteSpec bindOptions(DatabaseClient.GenericExecuteSpec statement, UUID id, Options options) {
        Long[] schedule = options.retrySchedule() == null ? null
                : options.retrySchedule().stream().map(Duration::toMillis).toArray(Long[]::new);
        return statement
                .bind("headers", Parameter.fromOrEmpty(options.headers() == null || options.headers().isEmpty() ? null
                        : cipher.seal(json.writeValueAsString(options.headers()), id), String.class))
                .bind("filter", Parameter.fromOrEmpty(options.filter() == null ? null : json.writeValueAsString(options.filter()), String.class))
                .bind("filterPath", Parameter.fromOrEmpty(options.filterPath(), String.class))
                .bind("retryScheduleMs", Parameter.fromOrEmpty(schedule, Long[].class));
    }

    /**
     * Stores the endpoint with its signing secret (encrypted) unless the organization has
     * {@code limit} already; emits whether it was stored.
     */
    public Mono<Boolean> insert(UUID organizationId, Endpoint endpoint, String secret, int limit) {
        Mono<Boolean> work = db.sql(LOCK_ORGANIZATION).bind("organizationId", organizationId).fetch().rowsUpdated()
                .then(bindOptions(db.sql(INSERT_WITHIN_LIMIT), endpoint.id(), endpoint.options())
                        .bind("id", endpoint.id())
                        .bind("organizationId", organizationId)
                        .bind("url", endpoint.url())
                        .bind("description", Parameter.fromOrEmpty(endpoint.description(), String.class))
                        .bind("eventTypes", endpoint.eventTypes().toArray(String[]::new))
                        .bind("enabled", endpoint.enabled())
                        .bind("rateLimitPerSecond", Parameter.fromOrEmpty(endpoint.rateLimitPerSecond(), Integer.class))
                        .bind("maxInFlight", endpoint.maxInFlight())
                        .bind("secret", cipher.seal(secret, endpoint.id()))
                        .bind("createdAt", endpoint.createdAt())
                        .bind("limit", (long) limit)
                        .fetch()
                        .rowsUpdated())
                .map(rows -> rows > 0);
        return transactions.transactional(work);
    }

    public Mono<List<Endpoint>> list(UUID organizationId) {
        return db.sql(LIST).bind("organizationId", organizationId).map(this::endpoint).all().collectList();
    }

    public Mono<Endpoint> find(UUID organizationId, UUID id) {
        return db.sql(FIND).bind("id", id).bind("organizationId", organizationId).map(this::endpoint).one();
    }

    /** An endpoint as a change left it, and whether it was enabled before. */
    public record Updated(Endpoint endpoint, boolean wasEnabled) {
    }

    public Mono<Updated> update(UUID organizationId, UUID id, Changes changes, Instant now) {
        return bindOptions(db.sql(UPDATE), id, changes.options())
                .bind("setHeaders", changes.setHeaders())
                .bind("setFilter", changes.setFilter())
                .bind("setRetrySchedule", changes.setRetrySchedule())
                .bind("setUrl", changes.setUrl())
                .bind("url", Parameter.fromOrEmpty(changes.url(), String.class))
                .bind("setDescription", changes.setDescription())
                .bind("description", Parameter.fromOrEmpty(changes.description(), String.class))
                .bind("setEventTypes", changes.setEventTypes())
                .bind("eventTypes", changes.eventTypes() == null ? new String[0] : changes.eventTypes().toArray(String[]::new))
                .bind("setEnabled", changes.setEnabled())
                .bind("enabled", changes.enabled())
                .bind("setRateLimitPerSecond", changes.setRateLimitPerSecond())
                .bind("rateLimitPerSecond", Parameter.fromOrEmpty(changes.rateLimitPerSecond(), Integer.class))
                .bind("setMaxInFlight", changes.setMaxInFlight())
                .bind("maxInFlight", changes.maxInFlight())
                .bind("now", now)
                .bind("id", id)
                .bind("organizationId", organizationId)
                .map(row -> new Updated(endpoint(row), Boolean.TRUE.equals(row.get("was_enabled", Boolean.class))))
                .one();
    }

    /**
     * Stores a test event with one delivery, to this endpoint only; emits whether it was stored (the
     * endpoint exists and is enabled).
     */
    public Mono<Boolean> insertTestEvent(UUID organizationId, UUID endpointId, UUID eventId, String eventType, String payloadJson,
                                         String requestId, Instant now) {
        return db.sql(TEST_EVENT)
                .bind("endpointId", endpointId)
                .bind("organizationId", organizationId)
                .bind("eventId", eventId)
                .bind("eventType", eventType)
                .bind("payload", payloadJson)
                .bind("requestId", Parameter.fromOrEmpty(requestId, String.class))
                .bind("now", now)
                .fetch()
                .rowsUpdated()
                .map(rows -> rows > 0);
    }

    /** Pauses the endpoint's owed deliveries (it was disabled by hand); emits how many. */
    public Mono<Long> pauseDeliveries(UUID organizationId, UUID id, Instant now) {
        return db.sql(PAUSE).bind("now", now).bind("id", id).bind("organizationId", organizationId).fetch().rowsUpdated()
                .retryWhen(StorageFailures.retryConflicts());
    }

    /** Makes the endpoint's paused deliveries pending again; emits them, to be queued. */
    public Mono<List<QueueEntry>> resumeDeliveries(UUID organizationId, Endpoint endpoint, Instant now) {
        return db.sql(RESUME).bind("now", now).bind("id", endpoint.id()).bind("organizationId", organizationId)
                .map(row -> new QueueEntry(row.get("event_id", UUID.class), endpoint.id(), organizationId,
                        row.get("request_id", String.class), row.get("trace_parent", String.class),
                        endpoint.rateLimitPerSecond(), endpoint.maxInFlight()))
                .all()
                .collectList()
                .retryWhen(StorageFailures.retryConflicts());
    }

    /** The endpoint's current signing secret, decrypted; empty when there is no such endpoint. */
    public Mono<String> secret(UUID organizationId, UUID id) {
        return db.sql(SECRET).bind("id", id).bind("organizationId", organizationId)
                .map(row -> cipher.open(row.get("secret", String.class), id))
                .one();
    }

    /**
     * Emits whether the endpoint existed; its deliveries go with it. The cascade locks each of them,
     * in no order the worker's statements (which lock a few deliveries each) can follow, so it can
     * deadlock with one; PostgreSQL then cancels one of the two, and a cancelled delete runs again.
     */
    public Mono<Boolean> delete(UUID organizationId, UUID id) {
        return db.sql(DELETE).bind("id", id).bind("organizationId", organizationId).fetch().rowsUpdated().map(rows -> rows > 0)
                .retryWhen(StorageFailures.retryConflicts());
    }

    /** Emits {@code secret} once it replaced the endpoint's current one; empty when there is no such endpoint. */
    public Mono<String> rotateSecret(UUID organizationId, UUID id, String secret, Instant now) {
        return db.sql(ROTATE_SECRET)
                .bind("secret", cipher.seal(secret, id))
                .bind("now", now)
                .bind("id", id)
                .bind("organizationId", organizationId)
                .fetch()
                .rowsUpdated()
                .flatMap(rows -> rows > 0 ? Mono.just(secret) : Mono.empty());
    }

    private Endpoint endpoint(Readable row) {
        String[] types = row.get("event_types", String[].class);
        UUID id = row.get("id", UUID.class);
        String sealedHeaders = row.get("headers", String.class);
        String filter = row.get("filter", String.class);
        Long[] schedule = row.get("retry_schedule_ms", Long[].class);
        Options options = new Options(
                sealedHeaders == null ? null : headers(id, sealedHeaders),
                filter == null ? null : json.readTree(filter),
                null,
                schedule == null ? null : Arrays.stream(schedule).map(Duration::ofMillis).toList());
        return new Endpoint(id, row.get("url", String.class), row.get("description", String.class),
                types == null ? List.of() : Arrays.asList(types), row.get("enabled", Boolean.class),
                row.get("rate_limit_per_second", Integer.class), row.get("max_in_flight", Integer.class),
                row.get("disabled_reason", String.class), row.get("disabled_at", Instant.class),
                row.get("created_at", Instant.class), row.get("updated_at", Instant.class), options);
    }

    private static final TypeReference<Map<String, String>> HEADERS = new TypeReference<>() {
    };

    /** The static headers, decrypted; none shown when their key is missing from TRIGGERS_ENCRYPTION_KEYS (logged). */
    private Map<String, String> headers(UUID id, String sealed) {
        try {
            return new LinkedHashMap<>(json.readValue(cipher.open(sealed, id), HEADERS));
        } catch (SecretCipher.UndecryptableSecret e) {
            UNDECRYPTABLE.warn("endpoint {}: its static headers cannot be decrypted: {}", id, e.getMessage());
            return new LinkedHashMap<>();
        }
    }

    private static final ThrottledLog UNDECRYPTABLE = new ThrottledLog(LoggerFactory.getLogger(EndpointRepository.class), Duration.ofSeconds(10));
}
