package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.observation.ObservationRegistry;
import io.triggers.api.RunningApi.Answer;
import io.triggers.api.web.UnreadBodies;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import io.triggers.testing.Prometheus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.web.server.adapter.HttpWebHandlerAdapter;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Ingestion and request metrics on {@code /actuator/prometheus}, and JSON log lines that carry the request id
 * and none of the keys, secrets or payloads that went through the api.
 */
@ExtendWith(OutputCaptureExtension.class)
class MetricsAndLogsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void ingestionIsCountedAndTimedAndLoggedWithoutSecrets(CapturedOutput output) {
        try (RunningApi api = RunningApi.start(Map.of(
                "logging.structured.format.console", "logstash",
                "logging.level.io.triggers", "debug"))) {
            // Ingestion has its own budget: three calls, the fourth is 429 (creating the endpoint spends the other budget).
            JsonNode organization = api.createOrganization("{\"name\":\"observed\",\"rate_limit_per_minute\":3}");
            String key = organization.get("api_key").get("key").stringValue();
            Answer endpoint = api.send("POST", "/v1/endpoints", key, "{\"url\":\"https://example.com/hook\"}", Map.of());
            String secret = endpoint.json().get("secret").stringValue();
            String marker = "payload-marker-" + UUID.randomUUID();
            String body = "{\"event_type\":\"order.created\",\"payload\":{\"note\":\"" + marker + "\"}}";

            Answer created = api.send("POST", "/v1/events", key, body, Map.of("Idempotency-Key", "k1", "X-Request-ID", "trace-me-42"));
            Answer replayed = api.send("POST", "/v1/events", key, body, Map.of("Idempotency-Key", "k1"));
            Answer invalid = api.send("POST", "/v1/events", key, "{\"payload\":{}}", Map.of());
            Answer limited = api.send("POST", "/v1/events", key, body, Map.of());
            assertThat(List.of(created.status(), replayed.status(), invalid.status(), limited.status())).containsExactly(201, 200, 400, 429);

            String metrics = api.management("/actuator/prometheus").text();
            assertThat(Prometheus.sample(metrics, "triggers_events_ingested_total{outcome=\"created\",reason=\"none\"}")).isEqualTo(1);
            assertThat(Prometheus.sample(metrics, "triggers_events_ingested_total{outcome=\"replayed\",reason=\"none\"}")).isEqualTo(1);
            assertThat(Prometheus.sample(metrics, "triggers_events_ingested_total{outcome=\"rejected\",reason=\"VALIDATION_ERROR\"}")).isEqualTo(1);
            assertThat(Prometheus.sample(metrics, "triggers_events_ingested_total{outcome=\"rejected\",reason=\"RATE_LIMITED\"}")).isEqualTo(1);
            assertThat(Prometheus.sample(metrics, "triggers_ratelimit_limited_total")).isEqualTo(1);
            assertThat(Prometheus.sample(metrics, "triggers_ingest_duration_seconds_count{kind=\"single\"}")).isEqualTo(4);
            assertThat(metrics).contains("triggers_ingest_duration_seconds_bucket{kind=\"single\",le=");
            // Every request is timed under its route's pattern, as Spring Boot's instrumentation names it,
            // though no request is an observation (ObservationsOff).
            assertThat(Prometheus.sample(metrics, "http_server_requests_seconds_count{exception=\"none\",method=\"POST\",outcome=\"SUCCESS\",status=\"201\",uri=\"/v1/events\"}")).isEqualTo(1);
            assertThat(Prometheus.sample(metrics, "http_server_requests_seconds_count{exception=\"none\",method=\"POST\",outcome=\"CLIENT_ERROR\",status=\"400\",uri=\"/v1/events\"}")).isEqualTo(1);
            // The rate limit answers before any route is matched.
            assertThat(Prometheus.sample(metrics, "http_server_requests_seconds_count{exception=\"none\",method=\"POST\",outcome=\"CLIENT_ERROR\",status=\"429\",uri=\"UNKNOWN\"}")).isEqualTo(1);
            assertThat(api.send("GET", "/v1/health", null, null, Map.of()).status()).isEqualTo(200);
            String later = api.management("/actuator/prometheus").text();
            assertThat(Prometheus.sample(later, "http_server_requests_seconds_count{exception=\"none\",method=\"GET\",outcome=\"SUCCESS\",status=\"200\",uri=\"/v1/health\"}")).isEqualTo(1);
            // Spring's handler, under the one that drops unread request bodies (UnreadBodies).
            HttpWebHandlerAdapter handler = (HttpWebHandlerAdapter) ((UnreadBodies.Handler) api.context.getBean(HttpHandler.class)).delegate();
            assertThat(handler.getObservationRegistry()).isSameAs(ObservationRegistry.NOOP);

            // Every console line is one JSON object; the ingest's own line carries its request id.
            List<JsonNode> lines = output.getOut().lines().filter(line -> line.startsWith("{")).map(JSON::readTree).toList();
            assertThat(lines).isNotEmpty();
            assertThat(lines).anySatisfy(line -> {
                assertThat(line.get("message").stringValue()).startsWith("stored 1 of 1 submitted events");
                assertThat(line.get("request_id").stringValue()).isEqualTo("trace-me-42");
            });
            String everything = output.getAll();
            assertThat(everything).doesNotContain(key, secret, marker, api.adminToken);
        }
    }
}
