package io.triggers.shared.logging;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * A warning that is logged at most once per interval, with the number of repeats it stood for,
 * so an outage that fails every request writes a line every few seconds, not one per request.
 */
public final class ThrottledLog {

    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    public ThrottledLog(Logger log, Duration interval) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
    }

    /** Logs {@code message} (SLF4J format) unless one was logged within the interval. */
    public void warn(String message, Object... arguments) {
        long now = System.nanoTime();
        long allowed = nextAllowed.get();
        if ((allowed == Long.MIN_VALUE || now - allowed >= 0) && nextAllowed.compareAndSet(allowed, now + intervalNanos)) {
            long repeats = suppressed.getAndSet(0);
            log.warn(repeats == 0 ? message : message + " (and " + repeats + " more like it)", arguments);
        } else {
            suppressed.incrementAndGet();
        }
    }
}
