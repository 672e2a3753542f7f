package io.triggers.shared.config;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.delivery.*}: how webhooks are delivered. The api reads it too, to validate
 * endpoint URLs the same way the worker will call them.
 *
 * @param timeout                connect plus response timeout of one attempt ({@code TRIGGERS_DELIVERY_TIMEOUT})
 * @param retrySchedule          the wait before each retry ({@code TRIGGERS_DELIVERY_RETRY_SCHEDULE}); ±20 % jitter
 * @param allowPrivateTargets    let endpoints point at loopback and private addresses (development and tests only)
 * @param maxRetryAfter          the longest {@code Retry-After} of a 429 or 503 that is honoured
 * @param maxInFlightPerEndpoint deliveries to one endpoint at once, per worker; more wait for a slot
 * @param endpointSlotWait       how long a delivery waits for a free slot of its endpoint before it is put off
 *                               to a later round (which uses up no retry step)
 * @param disableAfterFailing    an endpoint failing without a success for this long is disabled
 * @param circuitOpenFor         how long an endpoint's circuit stays open before trial calls
 */
@ConfigurationProperties("triggers.delivery")
public record DeliveryProperties(
        @DefaultValue("15s") Duration timeout,
        @DefaultValue({"5s", "30s", "2m", "10m", "30m", "1h", "3h", "6h"}) List<Duration> retrySchedule,
        @DefaultValue("false") boolean allowPrivateTargets,
        @DefaultValue("1h") Duration maxRetryAfter,
        @DefaultValue("16") int maxInFlightPerEndpoint,
        @DefaultValue("5d") Duration disableAfterFailing,
        @DefaultValue("30s") Duration circuitOpenFor,
        @DefaultValue("1s") Duration endpointSlotWait) {

    public DeliveryProperties {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("triggers.delivery.timeout must be positive");
        }
        retrySchedule = List.copyOf(retrySchedule);
        if (retrySchedule.isEmpty() || retrySchedule.stream().anyMatch(step -> step.isNegative() || step.isZero())) {
            throw new IllegalArgumentException("triggers.delivery.retry-schedule needs at least one positive duration");
        }
        if (maxInFlightPerEndpoint < 1) {
            throw new IllegalArgumentException("triggers.delivery.max-in-flight-per-endpoint must be at least 1");
        }
        if (endpointSlotWait.isNegative()) {
            throw new IllegalArgumentException("triggers.delivery.endpoint-slot-wait must not be negative");
        }
    }
}
