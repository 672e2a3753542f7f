package io.triggers.shared.config;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.delivery.*}: how webhooks are delivered. The api reads it too, to validate
 * endpoint URLs the same way the worker will call them.
 *
 * @param timeout             connect plus response timeout of one attempt ({@code TRIGGERS_DELIVERY_TIMEOUT})
 * @param retrySchedule       the wait before each retry ({@code TRIGGERS_DELIVERY_RETRY_SCHEDULE})
 * @param allowPrivateTargets let endpoints point at loopback and private addresses (development and tests only)
 */
@ConfigurationProperties("triggers.delivery")
public record DeliveryProperties(
        @DefaultValue("15s") Duration timeout,
        @DefaultValue({"5s", "30s", "2m", "10m", "30m", "1h", "3h", "6h"}) List<Duration> retrySchedule,
        @DefaultValue("false") boolean allowPrivateTargets) {

    public DeliveryProperties {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("triggers.delivery.timeout must be positive");
        }
        retrySchedule = List.copyOf(retrySchedule);
        if (retrySchedule.stream().anyMatch(Duration::isNegative)) {
            throw new IllegalArgumentException("triggers.delivery.retry-schedule must not contain negative durations");
        }
    }
}
