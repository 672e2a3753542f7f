package io.triggers.client;

/** A webhook that did not verify, and why: answer it with 400 (or 401) and do not act on it. */
public final class WebhookVerificationException extends RuntimeException {

    /** Why a webhook did not verify. */
    public enum Reason {
        /** A {@code webhook-id}, {@code webhook-timestamp} or {@code webhook-signature} header is missing. */
        MISSING_HEADER,
        /** {@code webhook-timestamp} is not a number of seconds. */
        INVALID_TIMESTAMP,
        /** The timestamp is older than the tolerance: perhaps a replay of a captured request. */
        TIMESTAMP_TOO_OLD,
        /** The timestamp is further in the future than the tolerance. */
        TIMESTAMP_TOO_NEW,
        /** No {@code v1} signature matched any of the secrets: a wrong secret or a changed body. */
        NO_MATCHING_SIGNATURE
    }

    private final Reason reason;

    WebhookVerificationException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
