package io.triggers.worker.delivery;

import io.triggers.shared.events.OperationalEvents;
import io.triggers.shared.logging.ThrottledLog;
import io.triggers.shared.time.Timestamps;
import io.triggers.worker.queue.DeliveryQueue;
import io.triggers.worker.storage.DeliveryRepository.EndpointChange;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Tells an organization about its delivery health with operational events, once the change they
 * report is stored: a delivery died, the service disabled an endpoint, an endpoint recovered. A
 * delivery of an operational event causes none (no loops). An event that cannot be stored or
 * queued is logged and dropped: the state it reports is stored and readable through the API, and
 * the delivery that caused it goes on. Stored but not queued, the reconciler queues it.
 */
@Component
public final class HealthEvents {

    private static final Logger log = LoggerFactory.getLogger(HealthEvents.class);
    private static final ThrottledLog NOT_EMITTED = new ThrottledLog(log, Duration.ofSeconds(10));

    private final OperationalEvents events;
    private final DeliveryQueue queue;

    HealthEvents(OperationalEvents events, DeliveryQueue queue) {
        this.events = events;
        this.queue = queue;
    }

    /** The delivery of {@code target}'s event to its endpoint is dead. */
    Mono<Void> deliveryDead(DeliveryTarget target, String lastError) {
        if (OperationalEvents.isOperational(target.event().eventType())) {
            return Mono.empty();
        }
        Map<String, String> data = new LinkedHashMap<>();
        data.put("event_id", target.event().id().toString());
        data.put("endpoint_id", target.endpointId().toString());
        data.put("event_type", target.event().eventType());
        data.put("last_error", lastError);
        return emit(target.event().organizationId(), OperationalEvents.DELIVERY_DEAD, data);
    }

    /** The service disabled the endpoint while delivering {@code target}. */
    Mono<Void> endpointDisabled(DeliveryTarget target, EndpointChange change) {
        return endpointChanged(target, OperationalEvents.ENDPOINT_DISABLED, change);
    }

    /** The endpoint's first success after a run of failures, delivering {@code target}. */
    Mono<Void> endpointRecovered(DeliveryTarget target, EndpointChange change) {
        return endpointChanged(target, OperationalEvents.ENDPOINT_RECOVERED, change);
    }

    private Mono<Void> endpointChanged(DeliveryTarget target, String type, EndpointChange change) {
        if (OperationalEvents.isOperational(target.event().eventType())) {
            return Mono.empty();
        }
        Map<String, String> data = new LinkedHashMap<>();
        data.put("endpoint_id", change.endpointId().toString());
        data.put("url", change.url());
        if (change.reason() != null) {
            data.put("reason", change.reason());
        }
        return emit(change.organizationId(), type, data);
    }

    private Mono<Void> emit(UUID organizationId, String type, Map<String, String> data) {
        return events.emit(organizationId, type, data, Timestamps.now())
                .flatMap(entries -> entries.isEmpty() ? Mono.empty() : queue.enqueue(entries))
                .then()
                .onErrorResume(failure -> {
                    NOT_EMITTED.warn("operational event {} for organization {} not emitted: {}", type, organizationId, failure.toString());
                    return Mono.empty();
                });
    }
}
