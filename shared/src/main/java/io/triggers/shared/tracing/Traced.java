package io.triggers.shared.tracing;

import io.micrometer.tracing.Span;

/**
 * The trace context of one piece of work (an ingest request, a delivery attempt) and, only when
 * its trace is sampled, the span that records it. An unsampled one costs a few strings at most: its
 * {@code traceparent} is still passed on, and tagging and ending it do nothing.
 */
public final class Traced {

    /**
     * An unsampled trace this service would start itself: nothing to record, and nothing worth
     * storing, since no one else knows its ids. Events ingested under it are stored without a trace
     * context; their attempts are sent a {@code traceparent} of the trace named by the event id
     * ({@link TraceParent#ofEvent}).
     */
    static final Traced NONE = new Traced(null, null);

    private final String traceparent;
    private final Span span;

    Traced(TraceParent context, Span span) {
        this.traceparent = context == null ? null : context.header();
        this.span = span;
    }

    static Traced unsampled(TraceParent context) {
        return new Traced(context, null);
    }

    /** The {@code traceparent} header naming this work's span; null for {@link #NONE}. */
    public String traceparent() {
        return traceparent;
    }

    /** Whether a span records this work (its trace is sampled and tracing is on). */
    public boolean recording() {
        return span != null;
    }

    /** Adds an attribute to the span, if there is one; a null value is left out. */
    public Traced tag(String key, String value) {
        if (span != null && value != null) {
            span.tag(key, value);
        }
        return this;
    }

    public Traced tag(String key, long value) {
        if (span != null) {
            span.tag(key, value);
        }
        return this;
    }

    /** Marks the span as failed with the error's type (its message is not recorded: it may quote input). */
    public Traced failed(String errorType) {
        if (span != null && errorType != null) {
            span.tag("error.type", errorType);
            span.event("failed");
        }
        return this;
    }

    /** Ends the span, if there is one: it is exported from then on. */
    public void end() {
        if (span != null) {
            span.end();
        }
    }
}
