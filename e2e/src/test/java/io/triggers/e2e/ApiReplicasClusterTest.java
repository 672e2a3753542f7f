package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.e2e.ApiClient.Response;
import io.triggers.testing.TestRedisCluster;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two api replicas on a Redis Cluster (issue 18): an organization's rate limit and its idempotency
 * keys live in the cluster, so they hold across replicas as they do on one Redis.
 */
class ApiReplicasClusterTest {

    private static TestRedisCluster cluster;
    private static RunningService service;
    private static ApiClient first;
    private static ApiClient second;

    @BeforeAll
    static void start() {
        cluster = TestRedisCluster.get();
        cluster.awaitHealthy();
        service = RunningService.with(Map.of()).onCluster(cluster).start();
        first = service.client();
        second = service.startApi(Map.of());
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void theRateLimitIsSpentOnBothReplicas() {
        String key = service.call("POST", "/v1/organizations", service.adminToken,
                "{\"name\":\"cluster-limited\",\"rate_limit_per_minute\":6}").body().get("api_key").get("key").stringValue();
        for (int i = 0; i < 3; i++) {
            assertThat(ingest(first, key, null).status()).isEqualTo(201);
            Response other = ingest(second, key, null);
            assertThat(other.status()).isEqualTo(201);
            assertThat(other.headers().headers().firstValue("X-RateLimit-Remaining")).hasValue(Integer.toString(4 - 2 * i));
        }
        assertThat(ingest(second, key, null).status()).isEqualTo(429);
        assertThat(ingest(first, key, null).status()).isEqualTo(429);
    }

    @Test
    void oneIdempotencyKeySentToBothReplicasAtOnceMakesOneEvent() throws Exception {
        String key = service.newUnlimitedOrganizationKey("cluster-idempotent");
        int keys = 40;
        List<String> eventIds = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < keys; i++) {
                String idempotencyKey = "both-" + i + "-" + UUID.randomUUID();
                CompletableFuture<Response> one = CompletableFuture.supplyAsync(() -> ingest(first, key, idempotencyKey), threads);
                CompletableFuture<Response> other = CompletableFuture.supplyAsync(() -> ingest(second, key, idempotencyKey), threads);
                List<Integer> statuses = List.of(one.get().status(), other.get().status());
                // One creates it; the other finds it (200, replayed) or finds it still in flight (409).
                assertThat(statuses).as("answers to %s", idempotencyKey).containsOnlyOnce(201)
                        .anySatisfy(status -> assertThat(status).isIn(200, 409));
                Response created = one.get().status() == 201 ? one.get() : other.get();
                String eventId = created.body().get("event_id").stringValue();
                eventIds.add(eventId);
                // Sent again later to either replica, the key answers with the same event.
                for (ApiClient replica : List.of(first, second)) {
                    Response again = ingest(replica, key, idempotencyKey);
                    assertThat(again.status()).isEqualTo(200);
                    assertThat(again.body().get("event_id").stringValue()).isEqualTo(eventId);
                    assertThat(again.headers().headers().firstValue("Idempotent-Replayed")).hasValue("true");
                }
            }
        } finally {
            threads.shutdownNow();
        }
        String organizationId = service.call("GET", "/v1/me", key, null).body().get("organization_id").stringValue();
        try (Connection db = service.jdbc();
             PreparedStatement query = db.prepareStatement("SELECT count(*) FROM events WHERE organization_id = ?")) {
            query.setObject(1, UUID.fromString(organizationId));
            try (ResultSet row = query.executeQuery()) {
                row.next();
                assertThat(row.getLong(1)).isEqualTo(keys);
            }
        }
        assertThat(eventIds).doesNotHaveDuplicates();
    }

    private static Response ingest(ApiClient api, String key, String idempotencyKey) {
        return api.call("POST", "/v1/events", key, "{\"event_type\":\"cluster.replicas\",\"payload\":{\"n\":1}}",
                idempotencyKey == null ? Map.of() : Map.of("Idempotency-Key", idempotencyKey));
    }
}
