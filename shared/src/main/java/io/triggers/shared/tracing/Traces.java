package io.triggers.shared.tracing;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Tracing of events from the producer to the receiver (issue 22). The trace context is carried
 * explicitly where it is cheap: the ingest request's {@code traceparent} header, a column of the
 * event, a field of its queue entry, the webhook's {@code traceparent} header. Spans are opened,
 * through Micrometer Tracing and Spring Boot's OpenTelemetry SDK, only for sampled traces: no
 * observation, no thread-local scope, no span object at all for the others.
 *
 * <p>Sampling is parent-based: a producer's {@code traceparent} decides (its {@code sampled} flag is
 * honoured either way); a request without one starts a trace sampled with
 * {@code management.tracing.sampling.probability} (0 by default here), decided by the SDK's sampler.
 */
@Component
public final class Traces {

    /** The span of {@code POST /v1/events}. */
    public static final String INGEST = "POST /v1/events";
    /** The span of {@code POST /v1/events/batch}. */
    public static final String BATCH = "POST /v1/events/batch";
    /** The span of one delivery attempt. */
    public static final String ATTEMPT = "POST webhook";
    /** The only spans exported ({@link TracingExport}). */
    public static final Set<String> SPANS = Set.of(INGEST, BATCH, ATTEMPT);

    private static final Propagator.Getter<String> ONE_HEADER =
            (traceparent, key) -> TraceParent.HEADER.equals(key) ? traceparent : null;

    /**
     * The tracing settings both apps start with; each can be set the Spring Boot way
     * ({@code MANAGEMENT_TRACING_SAMPLING_PROBABILITY}, ...). Nothing is sampled unless asked; only W3C
     * trace context is read and written; no baggage; no exemplars on metrics (looking for a current
     * span on every recording); no room for a trace id in log lines, none of which runs in a span.
     */
    public static Map<String, Object> defaults() {
        return Map.of(
                "management.tracing.sampling.probability", "0.0",
                "management.tracing.propagation.type", "w3c",
                "management.tracing.baggage.enabled", "false",
                "management.tracing.exemplars.include", "none",
                "logging.expect-correlation-id", "false");
    }

    /**
     * Spring Boot's observation of every Redis command (a Micrometer observation per command, and so
     * a span per command once tracing is on): excluded by both apps.
     */
    public static final String REDIS_COMMAND_OBSERVATIONS =
            "org.springframework.boot.data.redis.autoconfigure.observation.LettuceObservationAutoConfiguration";

    private final Tracer tracer;
    private final Propagator propagator;
    private final double probability;

    /** Without Spring Boot's tracing auto-configuration (excluded, or no OpenTelemetry bridge) there is no propagator, and a no-op tracer. */
    public Traces(ObjectProvider<Tracer> tracer, ObjectProvider<Propagator> propagator,
                  @Value("${management.tracing.sampling.probability:0.0}") double probability) {
        this.tracer = tracer.getIfAvailable(() -> Tracer.NOOP);
        this.propagator = propagator.getIfAvailable(() -> Propagator.NOOP);
        this.probability = probability;
    }

    /**
     * The trace of a request served (a server span): a child of the caller's {@code traceparent}
     * when it sent a valid one, else a new trace, sampled with the probability. A new trace that is
     * not sampled is {@link Traced#NONE}: nothing recorded and nothing stored (the common case, and
     * free: no ids are even made).
     */
    public Traced serve(String name, String traceparentHeader) {
        TraceParent caller = TraceParent.parse(traceparentHeader);
        if (caller != null) {
            return child(name, Span.Kind.SERVER, caller);
        }
        if (probability <= 0) {
            return Traced.NONE;
        }
        Traced root = open(tracer.spanBuilder().setNoParent().name(name).kind(Span.Kind.SERVER), null);
        return root.recording() ? root : Traced.NONE;
    }

    /**
     * The trace of an outgoing call made for stored work (a client span), a child of the stored
     * context; {@code stored} null or invalid is an unsampled trace named by the event
     * ({@link TraceParent#ofEvent}).
     */
    public Traced call(String name, String stored, UUID eventId) {
        TraceParent parent = TraceParent.parse(stored);
        return child(name, Span.Kind.CLIENT, parent != null ? parent : TraceParent.ofEvent(eventId));
    }

    private Traced child(String name, Span.Kind kind, TraceParent parent) {
        if (!parent.sampled()) {
            return Traced.unsampled(parent.withSpan(TraceParent.newSpanId()));
        }
        return open(propagator.extract(parent.header(), ONE_HEADER).name(name).kind(kind), parent.withSpan(TraceParent.newSpanId()));
    }

    /** Starts the span; {@code fallback} is the context when tracing is off (a no-op tracer): null for none. */
    private Traced open(Span.Builder builder, TraceParent fallback) {
        Span span = builder.start();
        if (span.isNoop()) {
            return fallback == null ? Traced.NONE : Traced.unsampled(fallback);
        }
        TraceContext context = span.context();
        TraceParent own = new TraceParent(context.traceId(), context.spanId(), Boolean.TRUE.equals(context.sampled()));
        // Not sampled by the SDK: a non-recording span, nothing to end or export.
        return own.sampled() ? new Traced(own, span) : Traced.unsampled(own);
    }
}
