package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.e2e.ApiClient.Response;
import io.triggers.testing.WebhookReceiver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /v1/endpoints/{id}/stats} and {@code GET /v1/stats} (issue 19) over real deliveries:
 * the worker's per-minute roll-up counts every attempt and ingested event once, however many runs
 * it takes, and the calls add the current states of deliveries, dead letters and endpoints.
 */
class StatsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static RunningService service;

    @BeforeAll
    static void start() {
        service = RunningService.start(Map.of("triggers.delivery.retry-schedule", "1h",
                "triggers.delivery.circuit-open-for", "100ms",
                "triggers.stats.rollup-every", "300ms",
                "triggers.stats.rollup-lag", "2s"));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void attemptsIngestedEventsAndStatesAreCountedOnce() throws Exception {
        try (WebhookReceiver healthy = WebhookReceiver.start(); WebhookReceiver failing = WebhookReceiver.start().respondWith(500)) {
            String key = service.newUnlimitedOrganizationKey("stats");
            Instant since = Instant.now().minusSeconds(60);
            String good = endpoint(key, healthy.url("/ok"), "[\"good.*\"]");
            String bad = endpoint(key, failing.url("/bad"), "[\"bad.*\"]");
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                events.add(ingest(key, "good.thing"));
            }
            for (int i = 0; i < 2; i++) {
                events.add(ingest(key, "bad.thing"));
            }
            ingest(key, "nobody.listens");
            await().atMost(WAIT).untilAsserted(() -> assertThat(events.stream().map(service::eventStatus).toList())
                    .allMatch(status -> status.equals("delivered") || status.equals("dead")));

            String window = "?since=" + since + "&until=" + Instant.now().plusSeconds(120);
            await().atMost(WAIT).until(() -> stats(key, "/v1/endpoints/" + good + "/stats" + window).get("attempts").longValue() == 5
                    && stats(key, "/v1/endpoints/" + bad + "/stats" + window).get("attempts").longValue() == 4);
            JsonNode goodStats = stats(key, "/v1/endpoints/" + good + "/stats" + window);
            assertThat(goodStats.get("succeeded").longValue()).isEqualTo(5);
            assertThat(goodStats.get("failed").longValue()).isZero();
            assertThat(goodStats.get("success_rate").doubleValue()).isEqualTo(1.0);
            assertThat(goodStats.get("latency_ms").get("p50").longValue()).isPositive();
            assertThat(goodStats.get("latency_ms").get("p99").longValue())
                    .isGreaterThanOrEqualTo(goodStats.get("latency_ms").get("p50").longValue());
            assertThat(goodStats.get("deliveries").get("pending").longValue()).isZero();
            JsonNode badStats = stats(key, "/v1/endpoints/" + bad + "/stats" + window);
            assertThat(badStats.get("failed").longValue()).isEqualTo(4);
            assertThat(badStats.get("success_rate").doubleValue()).isZero();
            assertThat(badStats.get("deliveries").get("dead").longValue()).isEqualTo(2);
            assertThat(badStats.get("deliveries").get("failed").longValue()).isZero();

            await().atMost(WAIT).until(() -> total(stats(key, "/v1/stats" + window + "&interval=minute"), "ingested") == 8);
            JsonNode organization = stats(key, "/v1/stats" + window + "&interval=minute");
            assertThat(total(organization, "delivered")).isEqualTo(5);
            assertThat(total(organization, "failed")).isEqualTo(4);
            assertThat(total(organization, "dead")).isEqualTo(2);
            assertThat(organization.get("series")).hasSizeGreaterThanOrEqualTo(3);
            assertThat(organization.get("dead_letters").longValue()).isEqualTo(2);
            assertThat(organization.get("endpoints").get("enabled").longValue()).isEqualTo(1);
            assertThat(organization.get("endpoints").get("failing").longValue()).isEqualTo(1);
            assertThat(organization.get("endpoints").get("disabled").longValue()).isZero();
            // Several more runs of the roll-up count nothing twice.
            Instant rolledUp = rolledUpUntil();
            await().atMost(WAIT).until(() -> rolledUpUntil().isAfter(rolledUp.plusSeconds(1)));
            assertThat(total(stats(key, "/v1/stats" + window + "&interval=hour"), "ingested")).isEqualTo(8);
            assertThat(stats(key, "/v1/endpoints/" + good + "/stats" + window).get("attempts").longValue()).isEqualTo(5);
        }
    }

    @Test
    void defaultsAndBadParameters() {
        String key = service.newUnlimitedOrganizationKey("stats-bad");
        String endpointId = endpoint(key, "http://127.0.0.1:9/x", "[]");
        JsonNode empty = stats(key, "/v1/endpoints/" + endpointId + "/stats");
        assertThat(Duration.between(Instant.parse(empty.get("since").stringValue()), Instant.parse(empty.get("until").stringValue())))
                .isEqualTo(Duration.ofDays(1));
        assertThat(empty.get("attempts").longValue()).isZero();
        assertThat(empty.get("success_rate").isNull()).isTrue();
        assertThat(empty.get("latency_ms").get("p50").isNull()).isTrue();
        assertThat(stats(key, "/v1/stats").get("series")).as("24 hourly points by default").hasSizeBetween(24, 25);

        for (String query : List.of("/v1/stats?interval=day", "/v1/stats?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z",
                "/v1/stats?since=2026-01-01T00:00:00Z&until=2026-01-03T00:00:00Z&interval=minute", "/v1/stats?colour=red",
                "/v1/stats?since=yesterday", "/v1/endpoints/" + endpointId + "/stats?interval=minute")) {
            Response answer = service.call("GET", query, key, null);
            assertThat(answer.status()).as(query).isEqualTo(400);
        }
        String other = service.newUnlimitedOrganizationKey("stats-other");
        assertThat(service.call("GET", "/v1/endpoints/" + endpointId + "/stats", other, null).status()).isEqualTo(404);
    }

    private static Instant rolledUpUntil() throws java.sql.SQLException {
        try (java.sql.Connection db = service.jdbc();
             java.sql.ResultSet row = db.createStatement().executeQuery("SELECT done_until FROM rollup_progress WHERE name = 'activity'")) {
            row.next();
            return row.getTimestamp(1).toInstant();
        }
    }

    private static long total(JsonNode organization, String field) {
        long sum = 0;
        for (JsonNode point : organization.get("series")) {
            sum += point.get(field).longValue();
        }
        return sum;
    }

    private static JsonNode stats(String key, String path) {
        Response answer = service.call("GET", path, key, null);
        assertThat(answer.status()).as(path + " " + answer.body()).isEqualTo(200);
        return answer.body();
    }

    private static String endpoint(String key, String url, String eventTypes) {
        Response created = service.call("POST", "/v1/endpoints", key, "{\"url\":\"" + url + "\",\"event_types\":" + eventTypes
                + ",\"retry_schedule\":[\"100ms\"]}");
        assertThat(created.status()).isEqualTo(201);
        return created.body().get("id").stringValue();
    }

    private static String ingest(String key, String type) {
        Response created = service.call("POST", "/v1/events", key, "{\"event_type\":\"" + type + "\",\"payload\":{\"n\":1}}");
        assertThat(created.status()).isEqualTo(201);
        return created.body().get("event_id").stringValue();
    }
}
