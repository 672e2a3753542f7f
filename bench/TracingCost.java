import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.triggers.shared.tracing.Traced;
import io.triggers.shared.tracing.Traces;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

/**
 * What the tracing code itself costs per event (issue 22), without the rest of the service and its
 * noise: Triggers' Traces over the same OpenTelemetry SDK set-up Spring Boot makes (parent-based
 * trace-id-ratio sampler, batch span processor, OTLP/HTTP exporter to bench/OtlpSink.java), one
 * ingest span and one attempt span per event, tagged as the apps tag them. Reports the process's
 * CPU time per event (all threads: the exporter's too) after a warm-up.
 *
 *   bench/tracing-cost.sh   (or: java -cp <shared's class path> bench/TracingCost.java PROBABILITY OTLP_URL [HEADER])
 */
public final class TracingCost {

    public static void main(String[] args) throws Exception {
        double probability = Double.parseDouble(args[0]);
        String endpoint = args[1];
        String header = args.length > 2 ? args[2] : null;
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(probability)))
                .addSpanProcessor(BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder().setEndpoint(endpoint).build())
                        .setScheduleDelay(Duration.ofSeconds(5))
                        // Room for every span made (none dropped): an export's cost is counted, not skipped.
                        .setMaxQueueSize(1_000_000).build())
                .build();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider)
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
        io.opentelemetry.api.trace.Tracer otel = sdk.getTracer("org.springframework.boot");
        OtelTracer tracer = new OtelTracer(otel, new OtelCurrentTraceContext(), event -> { });
        OtelPropagator propagator = new OtelPropagator(sdk.getPropagators(), otel);
        StaticListableBeanFactory beans = new StaticListableBeanFactory(Map.of("tracer", tracer, "propagator", propagator));
        Traces traces = new Traces(beans.getBeanProvider(Tracer.class), beans.getBeanProvider(Propagator.class), probability);

        // A sampled event makes two spans to export: fewer of them, so the queue holds them all.
        boolean sampled = probability >= 0.5 || (header != null && header.endsWith("-01"));
        int events = sampled ? 200_000 : 3_000_000;
        long sink = 0;
        sink += run(traces, header, events); // warm-up
        provider.forceFlush().join(60, java.util.concurrent.TimeUnit.SECONDS);
        long cpuBefore = cpu();
        long wallBefore = System.nanoTime();
        sink += run(traces, header, events);
        provider.forceFlush().join(60, java.util.concurrent.TimeUnit.SECONDS);
        long cpuNanos = cpu() - cpuBefore;
        long wallNanos = System.nanoTime() - wallBefore;
        System.out.printf("probability %s, %s: %.3f µs CPU per event (ingest + one attempt), %.3f µs wall (%d)%n",
                args[0], header == null ? "no traceparent" : "traceparent " + header, cpuNanos / 1000.0 / events,
                wallNanos / 1000.0 / events, sink % 2);
        provider.shutdown().join(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** What the api and the worker do per event with tracing: the ingest's trace, then one attempt's. */
    private static long run(Traces traces, String header, int events) {
        long sink = 0;
        UUID organization = UUID.randomUUID();
        UUID endpoint = UUID.randomUUID();
        for (int i = 0; i < events; i++) {
            UUID event = new UUID(i, i + 1L);
            Traced ingest = traces.serve(Traces.INGEST, header);
            if (ingest.recording()) {
                ingest.tag("http.request.method", "POST").tag("http.route", "/v1/events")
                        .tag("triggers.organization_id", organization.toString()).tag("triggers.event_type", "order.created")
                        .tag("http.response.status_code", 201).tag("triggers.event_id", event.toString());
                ingest.end();
            }
            String stored = ingest.traceparent();
            Traced attempt = traces.call(Traces.ATTEMPT, stored, event);
            sink += attempt.traceparent().length();
            if (attempt.recording()) {
                attempt.tag("http.request.method", "POST").tag("triggers.event_id", event.toString())
                        .tag("triggers.event_type", "order.created").tag("triggers.endpoint_id", endpoint.toString())
                        .tag("triggers.organization_id", organization.toString()).tag("triggers.attempt", 1)
                        .tag("triggers.outcome", "delivered").tag("triggers.duration_ms", 3).tag("http.response.status_code", 200);
                attempt.end();
            }
        }
        return sink;
    }

    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
