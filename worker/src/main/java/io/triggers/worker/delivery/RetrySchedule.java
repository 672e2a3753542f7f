package io.triggers.worker.delivery;

import io.triggers.shared.config.DeliveryProperties;
import java.time.Duration;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * When a pending entry is due again. An entry's delivery count (1 after its first read, one more
 * per reclaim) is its step in {@code triggers.delivery.retry-schedule}: after the n-th delivery
 * fails, it waits step n (±20 % jitter); the delivery after the last step is the last.
 */
@Component
final class RetrySchedule {

    private final List<Duration> steps;

    RetrySchedule(DeliveryProperties delivery) {
        this.steps = delivery.retrySchedule();
    }

    /** How long an entry delivered {@code deliveryCount} times must sit idle before it is retried. */
    Duration backoff(String messageId, long deliveryCount) {
        int step = (int) Math.min(Math.max(deliveryCount, 1), steps.size()) - 1;
        // Jitter fixed per entry and step, so every scan (and every replica) agrees on the due time.
        double jitter = 0.8 + 0.4 * Math.floorMod((messageId + ":" + deliveryCount).hashCode(), 10_000) / 10_000.0;
        return Duration.ofMillis(Math.round(steps.get(step).toMillis() * jitter));
    }

    /** The shortest wait any entry can have: the reclaimer's XPENDING IDLE filter. */
    Duration shortestBackoff() {
        long shortest = steps.stream().mapToLong(Duration::toMillis).min().orElseThrow();
        return Duration.ofMillis(Math.round(shortest * 0.8));
    }

    /** Whether the delivery numbered {@code deliveryCount} is the last one (every step was waited). */
    boolean isLast(long deliveryCount) {
        return deliveryCount > steps.size();
    }
}
