package io.triggers.api.endpoints;

import io.triggers.api.endpoints.EndpointsController.CreatedEndpoint;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Stored webhook endpoints. */
@Component
public final class EndpointRepository {

    private static final String INSERT = """
            INSERT INTO endpoints (id, organization_id, url, description, event_types, enabled, secret, created_at, updated_at)
            VALUES (:id, :organizationId, :url, :description, :eventTypes, :enabled, :secret, :createdAt, :updatedAt)
            """;

    private final DatabaseClient db;

    public EndpointRepository(DatabaseClient db) {
        this.db = db;
    }

    public Mono<Void> insert(UUID organizationId, CreatedEndpoint endpoint) {
        return db.sql(INSERT)
                .bind("id", endpoint.id())
                .bind("organizationId", organizationId)
                .bind("url", endpoint.url())
                .bind("description", Parameter.fromOrEmpty(endpoint.description(), String.class))
                .bind("eventTypes", endpoint.eventTypes().toArray(String[]::new))
                .bind("enabled", endpoint.enabled())
                .bind("secret", endpoint.secret())
                .bind("createdAt", endpoint.createdAt())
                .bind("updatedAt", endpoint.updatedAt())
                .then();
    }
}
