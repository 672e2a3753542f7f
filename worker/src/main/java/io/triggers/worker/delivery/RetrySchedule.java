package io.triggers.worker.delivery;

import io.triggers.shared.config.DeliveryProperties;
import java.time.Duration;
import java.util.List;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * When a failed delivery is tried again: after its n-th attempt fails, it waits step n of
 * {@code triggers.delivery.retry-schedule} (±20 % jitter); the attempt after the last step is the
 * last. Attempts are counted in PostgreSQL, so a delivery put off (endpoint paused, busy or
 * throttled) uses up no step.
 */
@Component
public final class RetrySchedule {

    private final List<Duration> steps;

    @Autowired
    public RetrySchedule(DeliveryProperties delivery) {
        this(delivery.retrySchedule());
    }

    RetrySchedule(List<Duration> steps) {
        this.steps = List.copyOf(steps);
    }

    /** How long to wait after attempt number {@code attempt} (1 = the first) failed. */
    public Duration backoff(String jitterKey, int attempt) {
        int step = Math.min(Math.max(attempt, 1), steps.size()) - 1;
        // Jitter fixed per delivery and attempt, so a repeated decision (after a crash) gives the same time.
        double jitter = 0.8 + 0.4 * Math.floorMod((jitterKey + ":" + attempt).hashCode(), 10_000) / 10_000.0;
        return Duration.ofMillis(Math.round(steps.get(step).toMillis() * jitter));
    }

    /** Whether attempt number {@code attempt} was the last one allowed (every step was waited). */
    public boolean isLast(int attempt) {
        return attempt > steps.size();
    }
}
