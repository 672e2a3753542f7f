package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RunningApi.Answer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Actuator answers on the management port only; the public port has {@code /v1/health} and no actuator. */
class ManagementPortTest {

    private static final List<String> ACTUATOR = List.of("/actuator", "/actuator/health", "/actuator/health/readiness",
            "/actuator/health/liveness", "/actuator/prometheus", "/actuator/info");

    private static RunningApi api;

    @BeforeAll
    static void start() {
        api = RunningApi.start(Map.of());
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void actuatorIsOnTheManagementPortOnly() {
        assertThat(api.managementUrl).isNotEqualTo(api.baseUrl);
        for (String path : ACTUATOR) {
            Answer onPublic = api.send("GET", path, null, null, Map.of());
            assertThat(onPublic.status()).as("public port, " + path).isEqualTo(404);
            assertThat(onPublic.text()).as("public port, " + path).doesNotContain("jvm_").doesNotContain("\"components\"");
        }
        assertThat(api.management("/actuator/health/readiness").status()).isEqualTo(200);
        assertThat(api.management("/actuator/health/liveness").status()).isEqualTo(200);
        Answer metrics = api.management("/actuator/prometheus");
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.text()).contains("jvm_memory_used_bytes");
    }

    @Test
    void publicHealthStaysOnThePublicPort() {
        Answer health = api.send("GET", "/v1/health", null, null, Map.of());
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().get("checks").get("postgres").stringValue()).isEqualTo("up");
        assertThat(api.management("/v1/health").status()).isEqualTo(404);
    }
}
