package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RunningApi.Answer;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An api whose Redis does not answer: ingestion goes on (rate limiting and the idempotency fast
 * path let requests through, PostgreSQL still deduplicates), health says Redis is down, the
 * let-through requests are counted, and the replica stays ready.
 */
class RedisUnreachableTest {

    private static RunningApi api;

    @BeforeAll
    static void start() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        api = RunningApi.start(Map.of(
                "spring.data.redis.url", "redis://127.0.0.1:" + closedPort,
                "spring.data.redis.timeout", "500ms"));
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void ingestionKeepsAnsweringAndPostgresStillDeduplicates() throws Exception {
        String key = api.createOrganization("{\"name\":\"no-redis\",\"rate_limit_per_minute\":2}").get("api_key").get("key").stringValue();
        String body = "{\"event_type\":\"order.created\",\"payload\":{\"order_id\":9}}";

        Answer first = api.send("POST", "/v1/events", key, body, Map.of("Idempotency-Key", "k"));
        Answer replay = api.send("POST", "/v1/events", key, body, Map.of("Idempotency-Key", "k"));
        Answer reused = api.send("POST", "/v1/events", key, body.replace("9", "10"), Map.of("Idempotency-Key", "k"));
        // Over the limit of 2, but the limit cannot be checked: let through.
        Answer fourth = api.send("POST", "/v1/events", key, body, Map.of());

        assertThat(first.status()).isEqualTo(201);
        assertThat(replay.status()).isEqualTo(200);
        assertThat(replay.json().get("event_id")).isEqualTo(first.json().get("event_id"));
        assertThat(reused.status()).isEqualTo(422);
        assertThat(fourth.status()).isEqualTo(201);
        String organization = api.send("GET", "/v1/me", key, null, Map.of()).json().get("organization_id").stringValue();
        assertThat(api.queryText("SELECT count(*) FROM events WHERE organization_id = ?::uuid", organization)).isEqualTo("2");

        String metrics = api.management("/actuator/prometheus").text();
        double letThrough = metrics.lines().filter(line -> line.startsWith("triggers_ratelimit_unavailable_total"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
        assertThat(letThrough).isGreaterThanOrEqualTo(5);
    }

    @Test
    void staysReadyForTheLoadBalancer() {
        // Ingestion goes on without Redis, so an outage must not take every replica out of rotation.
        Answer readiness = api.management("/actuator/health/readiness");
        assertThat(readiness.status()).as(readiness.text()).isEqualTo(200);
        assertThat(api.management("/actuator/health/liveness").status()).isEqualTo(200);
    }

    @Test
    void healthSaysRedisIsDown() {
        Answer health = api.send("GET", "/v1/health", null, null, Map.of());
        assertThat(health.status()).isEqualTo(503);
        assertThat(health.json().get("status").stringValue()).isEqualTo("unhealthy");
        assertThat(health.json().get("checks").get("redis").stringValue()).isEqualTo("down");
        assertThat(health.json().get("checks").get("postgres").stringValue()).isEqualTo("up");
    }
}
