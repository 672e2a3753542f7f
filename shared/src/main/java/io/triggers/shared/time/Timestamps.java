package io.triggers.shared.time;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The contract's time format: RFC 3339, UTC, always with milliseconds ({@code 2026-11-22T10:15:30.123Z}).
 * {@link Instant#toString()} drops the fraction when it is zero and prints micro- or nanoseconds
 * otherwise, so it is never used for anything a client reads.
 */
public final class Timestamps {

    private static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Timestamps() {
    }

    /** Now, truncated to the millisecond the contract shows (so stored and shown times agree). */
    public static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    /** Formats an instant as RFC 3339 UTC with milliseconds; {@code null} stays {@code null}. */
    public static String format(Instant instant) {
        return instant == null ? null : FORMAT.format(instant);
    }
}
