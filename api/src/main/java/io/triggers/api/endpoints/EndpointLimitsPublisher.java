package io.triggers.api.endpoints;

import io.triggers.api.events.EventQueue;
import java.util.UUID;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Tells the delivery queue (in Redis) an endpoint's current delivery limits, so workers apply a
 * change at once rather than with the endpoint's next queued delivery (which carries them too).
 * Called after every successful create and {@code PATCH} of an endpoint, with the values as stored.
 *
 * <p>PostgreSQL holds the limits; this is only the fast path. The caller does not fail its request
 * when this errors or takes longer than a second: it logs (throttled) and answers anyway.
 */
@Component
public final class EndpointLimitsPublisher {

    private final EventQueue queue;

    EndpointLimitsPublisher(EventQueue queue) {
        this.queue = queue;
    }

    /**
     * Publishes the endpoint's limits: {@code rateLimitPerSecond} {@code null} means no rate limit
     * of its own; {@code maxInFlight} is per worker replica.
     */
    public Mono<Void> describe(UUID organizationId, UUID endpointId, Integer rateLimitPerSecond, int maxInFlight) {
        return queue.describe(organizationId, endpointId, rateLimitPerSecond, maxInFlight);
    }
}
