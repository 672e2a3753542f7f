package io.triggers.api.eventtypes;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.triggers.api.eventtypes.EventTypeRepository.Revision;
import io.triggers.api.eventtypes.EventTypeRepository.StoredSchema;
import io.triggers.api.events.IngestProperties;
import io.triggers.api.web.ApiException;
import io.triggers.shared.logging.ThrottledLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * Which of an organization's event types have a schema, compiled, from memory: ingest checks a
 * payload without a database or Redis round trip. The same pattern as API keys
 * ({@code KeyResolver}): what a replica read of an organization is trusted for
 * {@code triggers.event-types.cache-ttl} (4 s) after it was read, then read again (concurrent
 * requests share that one read; they wait for it, so no replica ever applies a view older than the
 * TTL plus one read, even one that was idle). The replica that made a change forgets at once.
 *
 * <p>Reading again is cheap: one query for the names and revisions of the organization's types
 * with a schema (none for most organizations), and the schemas themselves only for revisions this
 * replica has not compiled yet. Compiled schemas are kept by revision (a sequence: a new value on
 * every write) in a cache bounded by the size of their text, and compiled off the event loops.
 */
@Component
public final class EventTypeSchemas {

    private static final ThrottledLog UNUSABLE = new ThrottledLog(LoggerFactory.getLogger(EventTypeSchemas.class), Duration.ofSeconds(10));
    /**
     * Most schema text (characters) whose compiled form is kept across reads: a compiled schema takes
     * about 25 bytes per character of its text (measured on a 400-character schema), so about 200 MB.
     * Schemas evicted from here are compiled again at their organization's next read.
     */
    static final long MAX_COMPILED_WEIGHT = 8L * 1024 * 1024;

    /** A compiled schema and the length of its text. */
    private record Compiled(EventSchema schema, int weight) {
    }

    private final EventTypeRepository repository;
    private final SchemaCompiler compiler;
    private final JsonMapper json;
    private final Duration readTimeout;
    private final AsyncCache<UUID, OrganizationSchemas> organizations;
    private final Cache<Long, Compiled> compiled;

    public EventTypeSchemas(EventTypeRepository repository, SchemaCompiler compiler, JsonMapper json, EventTypesProperties properties,
                            IngestProperties ingest) {
        this.repository = repository;
        this.compiler = compiler;
        this.json = json;
        this.readTimeout = ingest.storeTimeout();
        this.organizations = Caffeine.newBuilder()
                .expireAfterWrite(properties.cacheTtl())
                .maximumSize(100_000)
                .buildAsync();
        this.compiled = Caffeine.newBuilder()
                .maximumWeight(MAX_COMPILED_WEIGHT)
                .weigher((Long revision, Compiled schema) -> schema.weight())
                .expireAfterAccess(Duration.ofHours(1))
                .build();
    }

    /**
     * The organization's schemas when this replica read them within the TTL, else null (then ask
     * {@link #current}). Never waits and allocates nothing: the ingest path's common case.
     */
    public OrganizationSchemas cached(UUID organizationId) {
        CompletableFuture<OrganizationSchemas> known = organizations.getIfPresent(organizationId);
        return known != null && known.isDone() && !known.isCompletedExceptionally() ? known.join() : null;
    }

    /** The organization's schemas, read again when this replica's are older than the TTL. */
    public Mono<OrganizationSchemas> current(UUID organizationId) {
        OrganizationSchemas known = cached(organizationId);
        if (known != null) {
            return known.mono();
        }
        // suppressCancel: one request giving up must not cancel the read other requests wait for.
        return Mono.fromFuture(() -> organizations.get(organizationId, (key, executor) -> read(key).toFuture()), true);
    }

    /** Forgets what this replica read of the organization (after a change it made); others follow within the TTL. */
    public void forget(UUID organizationId) {
        organizations.synchronous().invalidate(organizationId);
    }

    private Mono<OrganizationSchemas> read(UUID organizationId) {
        return bounded(repository.schemaRevisions(organizationId)).flatMap(revisions -> {
            if (revisions.isEmpty()) {
                return OrganizationSchemas.NONE.mono();
            }
            Map<String, EventSchema> byType = new HashMap<>();
            List<String> missing = new ArrayList<>();
            for (Revision revision : revisions) {
                Compiled known = compiled.getIfPresent(revision.revision());
                if (known != null) {
                    byType.put(revision.name(), known.schema());
                } else {
                    missing.add(revision.name());
                }
            }
            if (missing.isEmpty()) {
                return Mono.just(new OrganizationSchemas(byType));
            }
            return bounded(repository.schemas(organizationId, missing))
                    .publishOn(Schedulers.boundedElastic())
                    .map(stored -> {
                        for (StoredSchema schema : stored) {
                            EventSchema usable = compile(organizationId, schema);
                            if (usable != null) {
                                byType.put(schema.name(), usable);
                            }
                        }
                        return new OrganizationSchemas(byType);
                    });
        });
    }

    /**
     * A stored schema, compiled and kept by its revision. Every stored schema passed the same
     * checks when it was stored; one that no longer compiles (after an upgrade of the validator,
     * say) leaves its type unchecked rather than refusing all its events, and is logged.
     */
    private EventSchema compile(UUID organizationId, StoredSchema stored) {
        try {
            EventSchema schema = compiler.compile(json.readTree(stored.schemaJson()));
            compiled.put(stored.revision(), new Compiled(schema, stored.schemaJson().length()));
            return schema;
        } catch (RuntimeException e) {
            UNUSABLE.warn("event type {} of organization {}: its stored schema cannot be used, its events are not checked: {}",
                    stored.name(), organizationId, e.getMessage());
            return null;
        }
    }

    /** Bounds a read by the ingest store timeout: an unreachable database is a 503, never a hung request. */
    private <T> Mono<T> bounded(Mono<T> read) {
        return read.timeout(readTimeout, Mono.error(() -> ApiException.serviceUnavailable(
                "event types cannot be read right now; retry shortly", 1)));
    }
}
