package io.triggers.worker.delivery;

import java.time.Duration;
import java.time.Instant;

/**
 * What becomes of a delivery handed out by the queue: pure decisions, no I/O.
 * <ul>
 * <li>{@link Kind#ACKNOWLEDGE}: nothing more is owed (delivered, dead, or no longer owed), or
 *     nothing is until its endpoint is enabled again (paused);</li>
 * <li>{@link Kind#RETRY}: it stays pending and is due again at {@link Decision#at()}; when
 *     {@link Decision#attempted()} is false no attempt was made and no retry step was used;</li>
 * <li>{@link Decision#pauseUntil()}: the whole endpoint is paused until then (its Retry-After, a 429
 *     or 503, its open circuit), for every replica, so it alone slows down.</li>
 * </ul>
 */
public final class DeliveryDecisions {

    /** The longest a 429 or 503 without Retry-After pauses its endpoint. */
    static final Duration MAX_IMPLIED_PAUSE = Duration.ofMinutes(1);

    public enum Kind { ACKNOWLEDGE, RETRY }

    /**
     * @param status     the delivery's status: delivered, failed, dead or paused; null when nothing changed
     * @param at         when it is due again (RETRY)
     * @param pauseUntil when its endpoint may be called again; null for no pause
     * @param attempted  whether an attempt was made
     */
    public record Decision(Kind kind, String status, Instant at, Instant pauseUntil, boolean attempted) {
    }

    private DeliveryDecisions() {
    }

    /** Nothing is owed any more (delivered meanwhile, acknowledged, deleted): let it go. */
    public static Decision notOwed() {
        return new Decision(Kind.ACKNOWLEDGE, null, null, null, false);
    }

    /** Its endpoint is disabled: the delivery dies without an attempt. */
    public static Decision endpointDisabled() {
        return new Decision(Kind.ACKNOWLEDGE, "dead", null, null, false);
    }

    /** Its endpoint is disabled by hand: the delivery waits, paused, until the endpoint is enabled again. */
    public static Decision endpointPaused() {
        return new Decision(Kind.ACKNOWLEDGE, "paused", null, null, false);
    }

    /** Looked at again at {@code at}, without an attempt and without pausing the endpoint. */
    public static Decision lookAgain(Instant at) {
        return new Decision(Kind.RETRY, null, at, null, false);
    }

    /** Put off without an attempt until {@code until}, pausing the endpoint (Retry-After not over, circuit open). */
    public static Decision putOff(Instant until) {
        return new Decision(Kind.RETRY, null, until, until, false);
    }

    /**
     * After attempt number {@code attempt} of its retry schedule (1 = the first since the delivery
     * was created or last replayed) ended with {@code outcome}.
     *
     * @param jitterKey fixes the retry jitter for this delivery
     */
    public static Decision afterAttempt(AttemptOutcome outcome, int attempt, RetrySchedule schedule, Instant now, String jitterKey) {
        if (outcome.delivered()) {
            return new Decision(Kind.ACKNOWLEDGE, "delivered", null, null, true);
        }
        if (outcome.gone() || schedule.isLast(attempt)) {
            return new Decision(Kind.ACKNOWLEDGE, "dead", null, null, true);
        }
        Duration backoff = schedule.backoff(jitterKey, attempt);
        Instant pauseUntil = null;
        if (outcome.retryAfter() != null) {
            pauseUntil = now.plus(outcome.retryAfter());
        } else if (outcome.statusCode() != null && (outcome.statusCode() == 429 || outcome.statusCode() == 503)) {
            pauseUntil = now.plus(backoff.compareTo(MAX_IMPLIED_PAUSE) < 0 ? backoff : MAX_IMPLIED_PAUSE);
        }
        Instant at = now.plus(backoff);
        if (pauseUntil != null && pauseUntil.isAfter(at)) {
            at = pauseUntil;
        }
        return new Decision(Kind.RETRY, "failed", at, pauseUntil, true);
    }
}
