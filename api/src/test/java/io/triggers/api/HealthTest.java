package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RunningApi.Answer;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/health} is open, so what it costs is bounded: concurrent callers share one check
 * of PostgreSQL and Redis, and a result is reused for at most a second.
 */
class HealthTest {

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
    void concurrentCallersShareOneCheck() {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            calls.add(api.sendAsync("GET", "/v1/health", null, null, Map.of()));
        }
        Set<String> checkedAt = new HashSet<>();
        for (CompletableFuture<HttpResponse<String>> call : calls) {
            Answer answer = RunningApi.await(call);
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.json().get("status").stringValue()).isEqualTo("healthy");
            checkedAt.add(answer.json().get("timestamp").stringValue());
        }
        // 40 calls within a moment: one check, two if the calls straddled the end of a result's second.
        assertThat(checkedAt.size()).as("checks made for 40 concurrent calls").isLessThanOrEqualTo(2);
    }

    @Test
    void noAnswerComesFromACheckOlderThanASecond() {
        Set<String> checkedAt = new HashSet<>();
        int calls = 0;
        Instant until = Instant.now().plusMillis(3500);
        while (Instant.now().isBefore(until)) {
            Answer answer = api.send("GET", "/v1/health", null, null, Map.of());
            Instant received = Instant.now();
            Instant checked = Instant.parse(answer.json().get("timestamp").stringValue());
            // A second of reuse, and some room for the answer's own way here.
            assertThat(Duration.between(checked, received)).isLessThan(Duration.ofMillis(1500));
            checkedAt.add(answer.json().get("timestamp").stringValue());
            calls++;
        }
        assertThat(calls).isGreaterThan(20);
        // Checked again as results expired: about once a second, never once per call.
        assertThat(checkedAt.size()).as("checks made for " + calls + " calls in 3.5 s").isBetween(3, 6);
    }
}
