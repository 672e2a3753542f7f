package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.e2e.ApiClient.Response;
import io.triggers.testing.WebhookReceiver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import io.triggers.testing.Prometheus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The worker's metrics on its {@code /actuator/prometheus}, the ingest request's id on the
 * delivery's log lines, readiness, and no keys, secrets or payloads in any log line.
 */
@ExtendWith(OutputCaptureExtension.class)
class ObservabilityTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void deliveriesAreMeasuredAndTheirLogLinesTieBackToTheIngestRequest(CapturedOutput output) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (RunningService service = RunningService.start(Map.of(
                "logging.structured.format.console", "logstash",
                "logging.level.io.triggers", "debug",
                "triggers.delivery.retry-schedule", "200ms",
                "triggers.worker.heartbeat-every", "50ms"));
             WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> calls.incrementAndGet() == 1 ? 500 : 200)) {
            String key = service.newOrganizationKey("observed");
            String secret = service.newEndpoint(key, receiver.url("/hook")).get("secret").stringValue();
            String marker = "payload-marker-" + UUID.randomUUID();
            Response accepted = service.call("POST", "/v1/events", key,
                    "{\"event_type\":\"order.created\",\"payload\":{\"note\":\"" + marker + "\"}}", Map.of("X-Request-ID", "trace-delivery-7"));
            String eventId = accepted.body().get("event_id").stringValue();
            await().atMost(Duration.ofSeconds(20)).until(() -> "delivered".equals(service.eventStatus(eventId)));

            // The failed first attempt was logged by the worker with the ingest request's id.
            List<JsonNode> lines = output.getOut().lines().filter(line -> line.startsWith("{")).map(JSON::readTree).toList();
            assertThat(lines).anySatisfy(line -> {
                assertThat(line.get("message").stringValue()).startsWith("delivery of event " + eventId + " to endpoint");
                assertThat(line.get("request_id").stringValue()).isEqualTo("trace-delivery-7");
            });
            assertThat(lines).anySatisfy(line -> {
                assertThat(line.get("message").stringValue()).startsWith("delivered event " + eventId);
                assertThat(line.get("request_id").stringValue()).isEqualTo("trace-delivery-7");
            });

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                String metrics = service.workerCall("GET", "/actuator/prometheus").text();
                assertThat(Prometheus.sample(metrics, "triggers_deliveries_total{outcome=\"delivered\"}")).isEqualTo(1);
                assertThat(Prometheus.sample(metrics, "triggers_deliveries_total{outcome=\"failed\"}")).isEqualTo(1);
                assertThat(Prometheus.sample(metrics, "triggers_deliveries_total{outcome=\"dead\"}")).isEqualTo(0);
                assertThat(Prometheus.sample(metrics, "triggers_delivery_duration_seconds_count{result=\"success\"}")).isEqualTo(1);
                assertThat(Prometheus.sample(metrics, "triggers_delivery_duration_seconds_count{result=\"failure\"}")).isEqualTo(1);
                assertThat(Prometheus.sample(metrics, "triggers_delivery_latency_seconds_count")).isEqualTo(1);
                assertThat(Prometheus.sample(metrics, "triggers_delivery_attempts_sum")).isEqualTo(2);
                assertThat(Prometheus.sample(metrics, "triggers_circuit_breakers{state=\"closed\"}")).isEqualTo(1);
                // Sampled every 5 s: nothing waits its turn or is in flight any more.
                assertThat(Prometheus.sample(metrics, "triggers_queue_deliveries{state=\"queued\"}")).isEqualTo(0);
                assertThat(Prometheus.sample(metrics, "triggers_queue_deliveries{state=\"in_flight\"}")).isEqualTo(0);
                assertThat(metrics).contains("triggers_queue_deliveries{state=\"due\"}", "triggers_queue_deliveries{state=\"waiting\"}",
                        "triggers_queue_endpoints{state=\"throttled\"}", "triggers_queue_endpoints{state=\"paused\"}",
                        "triggers_deliveries_in_flight ", "triggers_dead_letters ", "triggers_reconciler_reenqueued_total ");
            });

            WebhookReceiver.Received delivery = receiver.received().get(receiver.received().size() - 1);
            assertThat(delivery.bodyText()).contains(marker);
            assertThat(output.getAll()).doesNotContain(key, secret, marker, service.adminToken, delivery.header("webhook-signature"));
        }
    }

    @Test
    void readinessFollowsItsDependenciesWhileLivenessStaysUp() {
        try (RunningService service = RunningService.startBehindProxies(Map.of())) {
            assertThat(service.workerCall("GET", "/actuator/health/readiness").status()).isEqualTo(200);
            assertThat(service.apiManagementCall("/actuator/health/readiness").status()).isEqualTo(200);
            service.redisProxy.cut();
            try {
                // The worker cannot work without Redis; the api ingests without it (fail open), so it stays ready.
                await().atMost(Duration.ofSeconds(20)).until(() -> service.workerCall("GET", "/actuator/health/readiness").status() == 503);
                assertThat(service.workerCall("GET", "/actuator/health/liveness").status()).isEqualTo(200);
                assertThat(service.apiManagementCall("/actuator/health/readiness").status()).isEqualTo(200);
                assertThat(service.call("GET", "/v1/health", null, null).status()).isEqualTo(503);
            } finally {
                service.redisProxy.restore();
            }
            service.postgresProxy.cut();
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> service.workerCall("GET", "/actuator/health/readiness").status() == 503
                        && service.apiManagementCall("/actuator/health/readiness").status() == 503);
                assertThat(service.apiManagementCall("/actuator/health/liveness").status()).isEqualTo(200);
            } finally {
                service.postgresProxy.restore();
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> service.workerCall("GET", "/actuator/health/readiness").status() == 200
                    && service.apiManagementCall("/actuator/health/readiness").status() == 200);
        }
    }
}
