package io.triggers.client;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * When and how long to wait before trying a call again: exponential backoff with full jitter (a
 * random wait between zero and {@code initialBackoff × 2^retry}, capped at {@code maxBackoff}, so
 * that many clients that failed together do not come back together), never shorter than the
 * server's {@code Retry-After}, and never past the call's {@code deadline}, which bounds the whole
 * call including every attempt and wait.
 *
 * @param initialBackoff the cap of the first wait
 * @param maxBackoff the largest cap
 * @param deadline how long one call may take in all, attempts and waits
 * @param maxAttempts the most attempts of one call (1 = no retries)
 */
public record RetryPolicy(Duration initialBackoff, Duration maxBackoff, Duration deadline, int maxAttempts) {

    /** 100 ms doubling to 5 s, 60 s in all, up to 10 attempts. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofSeconds(60), 10);

    /** One attempt, no retries. */
    public static final RetryPolicy NONE = new RetryPolicy(Duration.ZERO, Duration.ZERO, Duration.ofSeconds(60), 1);

    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(deadline, "deadline");
        if (initialBackoff.isNegative() || maxBackoff.isNegative() || deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("backoffs must not be negative and the deadline must be positive");
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
    }

    public RetryPolicy withDeadline(Duration deadline) {
        return new RetryPolicy(initialBackoff, maxBackoff, deadline, maxAttempts);
    }

    public RetryPolicy withMaxAttempts(int maxAttempts) {
        return new RetryPolicy(initialBackoff, maxBackoff, deadline, maxAttempts);
    }

    public RetryPolicy withBackoff(Duration initial, Duration max) {
        return new RetryPolicy(initial, max, deadline, maxAttempts);
    }

    /**
     * The wait before retry number {@code retry} (0 for the first retry): full jitter, at least
     * {@code retryAfter} when the server gave one.
     */
    Duration backoff(int retry, Duration retryAfter, DoubleSupplier random) {
        long capMillis = maxBackoff.toMillis();
        long ceiling = initialBackoff.toMillis();
        for (int i = 0; i < retry && ceiling < capMillis; i++) {
            ceiling *= 2;
        }
        ceiling = Math.min(ceiling, capMillis);
        Duration jittered = Duration.ofMillis((long) (random.getAsDouble() * ceiling));
        return retryAfter != null && retryAfter.compareTo(jittered) > 0 ? retryAfter : jittered;
    }
}
