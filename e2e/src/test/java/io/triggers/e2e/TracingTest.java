package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.e2e.ApiClient.Response;
import io.triggers.shared.tracing.TraceParent;
import io.triggers.shared.tracing.Traces;
import io.triggers.testing.OtlpReceiver;
import io.triggers.testing.OtlpReceiver.ExportedSpan;
import io.triggers.testing.WebhookReceiver;
import io.triggers.testing.WebhookReceiver.Received;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.yaml.snakeyaml.Yaml;

/**
 * Tracing from producer to receiver (issue 22), across the api (in this JVM) and a worker in a JVM
 * of its own, both exporting over OTLP to a receiver in this JVM: one trace holds the ingest span and
 * one span per delivery attempt, each attempt a child of the ingest span, and the receiver is sent a
 * {@code traceparent} naming its attempt's span. The apps sample new traces with probability 1 here;
 * a producer's sampling decision is honoured either way.
 */
class TracingTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static OtlpReceiver collector;
    private static RunningService service;
    /** Each test's own organization (its events go to its endpoints only). */
    private String key;

    @BeforeAll
    static void start() {
        collector = OtlpReceiver.start();
        service = RunningService.with(Map.of(
                "management.opentelemetry.tracing.export.otlp.endpoint", collector.endpoint(),
                "management.opentelemetry.tracing.export.schedule-delay", "100ms",
                "management.tracing.sampling.probability", "1.0",
                "triggers.delivery.retry-schedule", "200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms",
                "triggers.delivery.circuit-open-for", "200ms",
                "triggers.reconciler.every", "200ms",
                "triggers.reconciler.grace", "500ms")).workers(0).start();
        service.startWorkerProcess(Map.of());
    }

    @org.junit.jupiter.api.BeforeEach
    void organization() {
        key = service.newUnlimitedOrganizationKey("traced");
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
        collector.close();
    }

    @Test
    void aProducersTraceHoldsTheIngestSpanAndOneChildSpanPerAttempt() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> calls.incrementAndGet() == 1 ? 500 : 200)) {
            String endpointId = service.newEndpoint(key, receiver.url("/hook")).get("id").stringValue();
            String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
            String eventId = ingest(Map.of("traceparent", "00-" + trace + "-00f067aa0ba902b7-01"), "secret-marker");

            await().atMost(WAIT).until(() -> receiver.received().size() >= 2 && collector.spansOf(trace).size() >= 3);
            List<ExportedSpan> spans = collector.spansOf(trace);
            ExportedSpan ingest = only(spans, "triggers-api");
            assertThat(ingest.name()).isEqualTo("POST /v1/events");
            assertThat(ingest.kind()).isEqualTo("SPAN_KIND_SERVER");
            assertThat(ingest.parentSpanId()).isEqualTo("00f067aa0ba902b7");
            assertThat(ingest.attribute("triggers.event_id")).isEqualTo(eventId);

            List<ExportedSpan> attempts = attempts(spans);
            assertThat(attempts).hasSize(2);
            assertThat(attempts).allSatisfy(attempt -> {
                assertThat(attempt.name()).isEqualTo("POST webhook");
                assertThat(attempt.kind()).isEqualTo("SPAN_KIND_CLIENT");
                assertThat(attempt.parentSpanId()).isEqualTo(ingest.spanId());
                assertThat(attempt.attribute("triggers.endpoint_id")).isEqualTo(endpointId);
                assertThat(attempt.attribute("triggers.event_id")).isEqualTo(eventId);
            });
            assertThat(attempts).extracting(a -> a.attribute("triggers.attempt")).containsExactly("1", "2");
            assertThat(attempts).extracting(a -> a.attribute("http.response.status_code")).containsExactly("500", "200");
            assertThat(attempts).extracting(a -> a.attribute("triggers.outcome")).containsExactly("failed", "delivered");
            assertThat(attempts.get(0).attribute("error.type")).isEqualTo("500");
            // Nothing of the payload, the URL or the endpoint's secret in any span.
            String secret = service.call("GET", "/v1/endpoints/" + endpointId + "/secret", key, null).body().get("secret").stringValue();
            assertThat(spans).flatExtracting(span -> List.copyOf(span.attributes().values()))
                    .noneMatch(value -> value.contains("secret-marker") || value.contains(secret) || value.contains("/hook"));

            // The receiver joined the trace: each attempt's traceparent names that attempt's span.
            List<Received> requests = receiver.received();
            assertThat(requests).extracting(r -> r.header("traceparent"))
                    .containsExactly(attempts.stream().map(a -> "00-" + trace + "-" + a.spanId() + "-01").toArray(String[]::new));
            assertThat(storedTrace(eventId)).isEqualTo("00-" + trace + "-" + ingest.spanId() + "-01");
        }
    }

    @Test
    void withoutATraceparentTheApiStartsTheTrace() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            service.newEndpoint(key, receiver.url("/hook"));
            // Actuator's requests are observed by Spring Boot (a trace each, sampled here): never exported.
            assertThat(service.apiManagementCall("/actuator/prometheus").status()).isEqualTo(200);
            String eventId = ingest(Map.of(), "root");
            await().atMost(WAIT).until(() -> receiver.received().size() == 1);
            TraceParent sent = TraceParent.parse(receiver.received().get(0).header("traceparent"));
            assertThat(sent).isNotNull();
            assertThat(sent.sampled()).isTrue();
            await().atMost(WAIT).until(() -> collector.spansOf(sent.traceId()).size() >= 2);
            ExportedSpan ingest = only(collector.spansOf(sent.traceId()), "triggers-api");
            assertThat(ingest.parentSpanId()).isEmpty();
            assertThat(ingest.attribute("triggers.event_id")).isEqualTo(eventId);
            ExportedSpan attempt = only(collector.spansOf(sent.traceId()), "triggers-worker");
            assertThat(attempt.parentSpanId()).isEqualTo(ingest.spanId());
            assertThat(attempt.spanId()).isEqualTo(sent.spanId());
            assertThat(collector.spans()).extracting(ExportedSpan::name).isNotEmpty().allMatch(Traces.SPANS::contains);
        }
    }

    @Test
    void anUnsampledProducerTraceIsPassedOnWithoutSpans() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            service.newEndpoint(key, receiver.url("/hook"));
            String trace = "0af7651916cd43dd8448eb211c80319c";
            ingest(Map.of("traceparent", "00-" + trace + "-b7ad6b7169203331-00"), "unsampled");
            await().atMost(WAIT).until(() -> receiver.received().size() == 1);
            TraceParent sent = TraceParent.parse(receiver.received().get(0).header("traceparent"));
            assertThat(sent.traceId()).isEqualTo(trace);
            assertThat(sent.sampled()).isFalse();
            assertThat(sent.spanId()).isNotEqualTo("b7ad6b7169203331");

            // A sampled event after it: once its spans from both apps are in, the unsampled one's would be too.
            String later = "5b8efff798038103d269b633813fc60c";
            ingest(Map.of("traceparent", "00-" + later + "-eee19b7ec3c1b174-01"), "later");
            await().atMost(WAIT).until(() -> collector.spansOf(later).size() >= 2);
            assertThat(collector.spansOf(trace)).isEmpty();
        }
    }

    @Test
    void aDeliveryQueuedAgainFromPostgresqlKeepsItsTrace() throws Exception {
        AtomicBoolean up = new AtomicBoolean(false);
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> up.get() ? 200 : 503)) {
            service.newEndpoint(key, receiver.url("/hook"));
            String trace = "3c0cc9b96ee1c1b3c0f1ee6e3d3f1a42";
            String eventId = ingest(Map.of("traceparent", "00-" + trace + "-1f2e3d4c5b6a7988-01"), "requeued");
            await().atMost(WAIT).until(() -> receiver.received().size() >= 1);
            // Redis loses the queue (and so the entry's trace context); the reconciler queues the
            // delivery again from PostgreSQL, where the event's context is stored.
            service.queue().deleteAll();
            up.set(true);
            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)));
            await().atMost(WAIT).until(() -> attempts(collector.spansOf(trace)).stream()
                    .anyMatch(a -> "delivered".equals(a.attribute("triggers.outcome"))));
            ExportedSpan ingest = only(collector.spansOf(trace), "triggers-api");
            assertThat(attempts(collector.spansOf(trace))).allSatisfy(a -> assertThat(a.parentSpanId()).isEqualTo(ingest.spanId()));
            Received last = receiver.received().get(receiver.received().size() - 1);
            assertThat(TraceParent.parse(last.header("traceparent")).traceId()).isEqualTo(trace);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeExportsBothAppsSpansThroughTheCollectorToJaeger() throws Exception {
        Map<String, Object> compose = new Yaml().load(Files.readString(Path.of("..", "docker-compose.yml")));
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        for (String app : List.of("api", "worker")) {
            Map<String, Object> environment = (Map<String, Object>) services.get(app).get("environment");
            // The variable names bind to Spring Boot's settings the way the apps read their environment.
            Map<String, Object> variables = new java.util.HashMap<>(environment);
            variables.replaceAll((name, value) -> String.valueOf(value));
            Binder binder = new Binder(ConfigurationPropertySources.from(
                    new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, variables)));
            assertThat(binder.bind("management.opentelemetry.tracing.export.otlp.endpoint", String.class).get())
                    .as(app).isEqualTo("http://otel-collector:4318/v1/traces");
            assertThat(binder.bind("management.tracing.sampling.probability", String.class).get()).as(app)
                    .isEqualTo("${TRACING_SAMPLING_PROBABILITY:-1.0}");
        }
        assertThat(services).containsKeys("otel-collector", "jaeger");
        assertThat((List<String>) services.get("otel-collector").get("volumes"))
                .contains("./deploy/otel-collector/config.yml:/etc/otelcol/config.yml:ro");
        assertThat((List<String>) services.get("jaeger").get("ports")).contains("16686:16686");
        Map<String, Object> collector = new Yaml().load(Files.readString(Path.of("..", "deploy", "otel-collector", "config.yml")));
        Map<String, Object> http = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
                collector.get("receivers")).get("otlp")).get("protocols")).get("http");
        assertThat(http.get("endpoint")).isEqualTo("0.0.0.0:4318");
        Map<String, Object> exporter = (Map<String, Object>) ((Map<String, Object>) collector.get("exporters")).get("otlp/jaeger");
        assertThat(exporter.get("endpoint")).isEqualTo("jaeger:4317");
        Map<String, Object> pipeline = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
                collector.get("service")).get("pipelines")).get("traces");
        assertThat((List<String>) pipeline.get("receivers")).containsExactly("otlp");
        assertThat((List<String>) pipeline.get("exporters")).containsExactly("otlp/jaeger");
    }

    private String ingest(Map<String, String> headers, String marker) {
        Response created = service.call("POST", "/v1/events", key,
                "{\"event_type\":\"order.created\",\"payload\":{\"note\":\"" + marker + "\"}}", headers);
        assertThat(created.status()).isEqualTo(201);
        return created.body().get("event_id").stringValue();
    }

    private static ExportedSpan only(List<ExportedSpan> spans, String service) {
        List<ExportedSpan> of = spans.stream().filter(span -> span.service().equals(service)).toList();
        assertThat(of).as("spans of " + service + " in " + spans).hasSize(1);
        return of.get(0);
    }

    /** The worker's attempt spans, in attempt order. */
    private static List<ExportedSpan> attempts(List<ExportedSpan> spans) {
        return spans.stream().filter(span -> span.service().equals("triggers-worker"))
                .sorted(Comparator.comparing(span -> Integer.parseInt(span.attribute("triggers.attempt"))))
                .toList();
    }

    private static String storedTrace(String eventId) throws Exception {
        try (Connection db = service.jdbc(); PreparedStatement query = db.prepareStatement("SELECT trace_parent FROM events WHERE id = ?::uuid")) {
            query.setString(1, eventId);
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }
}
