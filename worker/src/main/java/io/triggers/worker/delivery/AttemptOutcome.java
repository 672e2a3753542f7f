package io.triggers.worker.delivery;

/**
 * How one delivery attempt went.
 *
 * @param statusCode      the receiver's HTTP status, or null when there was no response
 * @param durationMs      time from sending to the end of the response (or the failure)
 * @param error           why the attempt failed without a response (timeout, refused), else null
 * @param responseExcerpt the first KiB at most of the response body
 */
record AttemptOutcome(Integer statusCode, long durationMs, String error, String responseExcerpt) {

    /** A 2xx answer: the only success. */
    boolean delivered() {
        return statusCode != null && statusCode >= 200 && statusCode < 300;
    }
}
