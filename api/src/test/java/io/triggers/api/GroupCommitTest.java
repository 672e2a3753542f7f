package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import io.triggers.testing.Prometheus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Group commit: concurrent single-event requests of several organizations share INSERT
 * statements, each request still gets its own answer, and one organization's idempotency key used
 * by concurrent requests still makes one event.
 */
class GroupCommitTest {

    private static RunningApi api;

    @BeforeAll
    static void start() {
        // One statement at a time, so requests arriving meanwhile must share the next one.
        api = RunningApi.start(Map.of("triggers.ingest.group-commit-max-concurrent", "1"));
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void concurrentRequestsShareStatementsAndEachIsAnsweredForItself() throws Exception {
        String first = api.createOrganization("{\"name\":\"gc-1\",\"rate_limit_per_minute\":0}").get("api_key").get("key").stringValue();
        String second = api.createOrganization("{\"name\":\"gc-2\",\"rate_limit_per_minute\":0}").get("api_key").get("key").stringValue();
        String body = "{\"event_type\":\"order.created\",\"payload\":{\"n\":1}}";
        double statementsBefore = Prometheus.sample(metrics(), "triggers_ingest_statement_events_count");

        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String key = i % 2 == 0 ? first : second;
            // Every tenth request of the first organization reuses one idempotency key.
            Map<String, String> headers = i % 20 == 0 ? Map.of("Idempotency-Key", "shared") : Map.of();
            calls.add(api.sendAsync("POST", "/v1/events", key, body, headers));
        }
        List<Integer> statuses = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> call : calls) {
            statuses.add(call.get().statusCode());
        }

        // 190 unkeyed events and one keyed: the other keyed requests are replays (200) or in flight (409).
        assertThat(statuses.stream().filter(status -> status == 201).count()).isEqualTo(191);
        assertThat(statuses).allMatch(status -> status == 201 || status == 200 || status == 409);
        assertThat(api.queryText("SELECT count(*) FROM events")).isEqualTo("191");
        double statements = Prometheus.sample(metrics(), "triggers_ingest_statement_events_count") - statementsBefore;
        assertThat(statements).isLessThan(200).isGreaterThanOrEqualTo(1);
        System.out.printf("200 concurrent requests went to PostgreSQL in %.0f statements%n", statements);
    }

    private static String metrics() {
        return api.send("GET", "/actuator/prometheus", null, null, Map.of()).text();
    }
}
