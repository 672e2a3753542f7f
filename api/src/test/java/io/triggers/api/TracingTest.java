package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.triggers.api.RunningApi.Answer;
import io.triggers.shared.tracing.TraceParent;
import io.triggers.testing.OtlpReceiver;
import io.triggers.testing.OtlpReceiver.ExportedSpan;
import io.triggers.testing.TestQueue;
import io.triggers.testing.TestServers;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The api's side of tracing (issue 22), with the default sampling probability of 0: every event is
 * stored and queued with a trace context (the producer's trace continued, or a new one), and a span is
 * exported only for a trace the producer sampled. The worker's side is {@code TracingTest} in e2e.
 */
class TracingTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT = "00f067aa0ba902b7";

    private static OtlpReceiver collector;
    private static RunningApi api;
    private static String key;

    @BeforeAll
    static void start() {
        collector = OtlpReceiver.start();
        api = RunningApi.start(Map.of(
                "management.opentelemetry.tracing.export.otlp.endpoint", collector.endpoint(),
                "management.opentelemetry.tracing.export.schedule-delay", "100ms"));
        key = api.newUnlimitedOrganizationKey("traced");
        // An endpoint, so each event is queued (no worker runs here: it stays queued).
        assertThat(api.send("POST", "/v1/endpoints", key, "{\"url\":\"https://example.com/hook\"}", Map.of()).status()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        api.close();
        collector.close();
    }

    @Test
    void aProducersTraceIsStoredButOnlyASampledTraceIsRecorded() throws Exception {
        // No traceparent and nothing sampled (probability 0): nothing to store (the worker names the
        // trace after the event), nothing on the queue entry.
        assertThat(storedTrace(ingest(Map.of()))).isNull();
        // The producer's unsampled trace is continued, with the api's own span id, and stays unsampled.
        TraceParent unsampled = storedTrace(ingest(Map.of("traceparent", "00-" + TRACE + "-" + PARENT + "-00")));
        assertThat(unsampled.traceId()).isEqualTo(TRACE);
        assertThat(unsampled.spanId()).isNotEqualTo(PARENT);
        assertThat(unsampled.sampled()).isFalse();
        // An invalid one is no traceparent.
        assertThat(storedTrace(ingest(Map.of("traceparent", "00-" + TRACE.toUpperCase() + "-" + PARENT + "-01")))).isNull();

        // The producer sampled its trace: the api honours it whatever its own probability (parent-based).
        String sampledTrace = "0af7651916cd43dd8448eb211c80319c";
        String eventId = ingest(Map.of("traceparent", "00-" + sampledTrace + "-b7ad6b7169203331-01"));
        TraceParent sampled = storedTrace(eventId);
        assertThat(sampled.traceId()).isEqualTo(sampledTrace);
        assertThat(sampled.sampled()).isTrue();
        await().atMost(Duration.ofSeconds(20)).until(() -> !collector.spansOf(sampledTrace).isEmpty());
        List<ExportedSpan> spans = collector.spansOf(sampledTrace);
        assertThat(spans).hasSize(1);
        ExportedSpan ingest = spans.get(0);
        assertThat(ingest.service()).isEqualTo("triggers-api");
        assertThat(ingest.name()).isEqualTo("POST /v1/events");
        assertThat(ingest.kind()).isEqualTo("SPAN_KIND_SERVER");
        assertThat(ingest.parentSpanId()).isEqualTo("b7ad6b7169203331");
        // The stored context names the ingest span: the parent of the attempts' spans.
        assertThat(ingest.spanId()).isEqualTo(sampled.spanId());
        assertThat(ingest.attribute("triggers.event_id")).isEqualTo(eventId);
        assertThat(ingest.attribute("triggers.event_type")).isEqualTo("order.created");
        assertThat(ingest.attribute("http.response.status_code")).isEqualTo("201");
        assertThat(ingest.attributes().values()).noneMatch(value -> value.contains("marker") || value.contains(key));

        // Spans are exported in the order they end: the unsampled requests before it left none.
        assertThat(collector.spans()).extracting(ExportedSpan::traceId).doesNotContain(TRACE, TRACE.toUpperCase());
    }

    @Test
    void aBatchIsOneSpanAndItsEventsShareItsContext() throws Exception {
        String trace = "5b8efff798038103d269b633813fc60c";
        StringBuilder body = new StringBuilder("{\"events\":[");
        for (int i = 0; i < 3; i++) {
            body.append(i == 0 ? "" : ",").append("{\"event_type\":\"order.created\",\"payload\":{\"n\":").append(i).append("}}");
        }
        Answer answer = api.send("POST", "/v1/events/batch", key, body.append("]}").toString(),
                Map.of("traceparent", "00-" + trace + "-eee19b7ec3c1b174-01"));
        assertThat(answer.status()).isEqualTo(200);
        List<TraceParent> stored = new ArrayList<>();
        for (JsonNode result : answer.json().get("results")) {
            stored.add(storedTrace(result.get("event_id").stringValue()));
        }
        assertThat(stored).hasSize(3).allSatisfy(context -> assertThat(context).isEqualTo(stored.get(0)));
        await().atMost(Duration.ofSeconds(20)).until(() -> !collector.spansOf(trace).isEmpty());
        ExportedSpan batch = collector.spansOf(trace).get(0);
        assertThat(collector.spansOf(trace)).hasSize(1);
        assertThat(batch.name()).isEqualTo("POST /v1/events/batch");
        assertThat(batch.parentSpanId()).isEqualTo("eee19b7ec3c1b174");
        assertThat(batch.spanId()).isEqualTo(stored.get(0).spanId());
        assertThat(batch.attribute("triggers.events")).isEqualTo("3");
        assertThat(batch.attribute("http.response.status_code")).isEqualTo("200");
    }

    @Test
    void withExportOffContextsAreStillStoredAndPassedOn() throws Exception {
        try (RunningApi off = RunningApi.start(Map.of("management.tracing.export.enabled", "false",
                "management.opentelemetry.tracing.export.otlp.endpoint", collector.endpoint()))) {
            String offKey = off.newUnlimitedOrganizationKey("untraced");
            assertThat(off.send("POST", "/v1/endpoints", offKey, "{\"url\":\"https://example.com/hook\"}", Map.of()).status()).isEqualTo(201);
            String trace = "6e0c63257de34c92bf9efcd03927272e";
            Answer created = off.send("POST", "/v1/events", offKey, "{\"event_type\":\"order.created\",\"payload\":{}}",
                    Map.of("traceparent", "00-" + trace + "-" + PARENT + "-01"));
            assertThat(created.status()).isEqualTo(201);
            TraceParent stored = TraceParent.parse(off.queryText("SELECT trace_parent FROM events WHERE id = ?::uuid",
                    created.json().get("event_id").stringValue()));
            assertThat(stored.traceId()).isEqualTo(trace);
            assertThat(stored.sampled()).isTrue();
            assertThat(stored.spanId()).isNotEqualTo(PARENT);
            // Nothing is exported, though an OTLP endpoint is set: there is no exporter.
            assertThat(off.context.getBeansOfType(io.opentelemetry.sdk.trace.export.SpanExporter.class)).isEmpty();
        }
    }

    @Test
    void redisCommandsAreNotObserved() {
        // Spring Boot would observe every Redis command (a timer each, and a span each once tracing is on).
        assertThat(api.context.getBean(ClientResources.class).tracing().isEnabled()).isFalse();
        ingest(Map.of());
        assertThat(api.management("/actuator/prometheus").text()).doesNotContain("lettuce_");
    }

    private static String ingest(Map<String, String> headers) {
        Answer created = api.send("POST", "/v1/events", key,
                "{\"event_type\":\"order.created\",\"payload\":{\"note\":\"marker-" + UUID.randomUUID() + "\"}}", headers);
        assertThat(created.status()).isEqualTo(201);
        return created.json().get("event_id").stringValue();
    }

    /** The event's stored trace context (null when it has none), checked against its queue entry's. */
    private static TraceParent storedTrace(String eventId) throws SQLException {
        String column = api.queryText("SELECT trace_parent FROM events WHERE id = ?::uuid", eventId);
        TraceParent stored = TraceParent.parse(column);
        assertThat(stored == null).as("events.trace_parent " + column).isEqualTo(column == null);
        RedisClient redis = RedisClient.create(TestServers.get().redisUri());
        try (StatefulRedisConnection<String, String> connection = redis.connect()) {
            TestQueue queue = new TestQueue(connection.sync(), api.redisPrefix);
            TestQueue.Entry entry = queue.entryOf(eventId).orElseThrow();
            Map<String, String> fields = queue.fieldsOf(entry);
            assertThat(fields).containsEntry("e", eventId);
            assertThat(fields.get("t")).isEqualTo(column);
        } finally {
            redis.shutdown();
        }
        return stored;
    }
}
