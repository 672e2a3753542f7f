package io.triggers.worker.delivery;

import java.time.Duration;

/**
 * How one delivery attempt went.
 *
 * @param statusCode      the receiver's HTTP status, or null when there was no response
 * @param durationMs      time from sending to the end of the response (or the failure)
 * @param error           why the attempt failed without a response (timeout, refused), else null
 * @param responseExcerpt the first KiB at most of the response body
 * @param retryAfter      the receiver's Retry-After on a 429 or 503, bounded; null otherwise
 */
public record AttemptOutcome(Integer statusCode, long durationMs, String error, String responseExcerpt, Duration retryAfter) {

    /** A 2xx answer: the only success. */
    public boolean delivered() {
        return statusCode != null && statusCode >= 200 && statusCode < 300;
    }

    /** 410 Gone: the receiver says the endpoint no longer exists. */
    public boolean gone() {
        return statusCode != null && statusCode == 410;
    }

    /**
     * Whether the attempt says the endpoint is unhealthy (for its circuit breaker): no answer, a 5xx
     * or a 429. Other 4xx answers come from a working receiver.
     */
    public boolean endpointUnhealthy() {
        return statusCode == null || statusCode >= 500 || statusCode == 429;
    }
}
