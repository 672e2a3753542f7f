package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.api.RunningApi.Answer;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Idempotency keys: replay, reuse with another body, in-flight requests, concurrency, Redis loss. */
class IdempotencyTest {

    private static final String BODY = "{\"event_type\":\"order.created\",\"payload\":{\"order_id\":1}}";

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
    void aRepeatAnswers200WithTheOriginalBody() throws Exception {
        String key = api.newUnlimitedOrganizationKey("replay");
        String idempotencyKey = "order-1-" + UUID.randomUUID();
        Answer first = post(key, idempotencyKey, BODY, "first-request");
        // Same request, different whitespace and request id.
        Answer again = post(key, idempotencyKey, "{ \"event_type\": \"order.created\", \"payload\": { \"order_id\": 1 } }",
                "second-request");

        assertThat(first.status()).isEqualTo(201);
        assertThat(first.header("Idempotent-Replayed")).isNull();
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(again.json()).isEqualTo(first.json());
        assertThat(again.json().get("request_id").stringValue()).isEqualTo("first-request");
        assertThat(again.header("Location")).isEqualTo(first.header("Location"));
        assertThat(eventCount(key)).isEqualTo("1");
    }

    @Test
    void theSameKeyWithAnotherBodyIs422() throws Exception {
        String key = api.newUnlimitedOrganizationKey("reuse");
        assertThat(post(key, "k1", BODY, null).status()).isEqualTo(201);

        Answer reused = post(key, "k1", BODY.replace("\"order_id\":1", "\"order_id\":2"), null);

        assertThat(reused.status()).isEqualTo(422);
        assertThat(reused.json().get("error").get("code").stringValue()).isEqualTo("IDEMPOTENCY_KEY_REUSED");
        assertThat(eventCount(key)).isEqualTo("1");
    }

    @Test
    void keysArePerOrganization() throws Exception {
        String one = api.newUnlimitedOrganizationKey("one");
        String other = api.newUnlimitedOrganizationKey("other");
        Answer first = post(one, "shared-key", BODY, null);
        Answer second = post(other, "shared-key", BODY, null);
        assertThat(first.status()).isEqualTo(201);
        assertThat(second.status()).isEqualTo(201);
        assertThat(second.json().get("event_id")).isNotEqualTo(first.json().get("event_id"));
    }

    @Test
    void dedupIdIsTheKeyAndTheHeaderWins() throws Exception {
        String key = api.newUnlimitedOrganizationKey("dedup");
        String withDedup = "{\"event_type\":\"order.created\",\"payload\":{\"order_id\":1},\"dedup_id\":\"order-1\"}";
        Answer first = post(key, null, withDedup, null);
        Answer second = post(key, null, withDedup, null);
        Answer headerWins = post(key, "another-key", withDedup, null);

        assertThat(first.status()).isEqualTo(201);
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.json().get("event_id")).isEqualTo(first.json().get("event_id"));
        assertThat(headerWins.status()).isEqualTo(201);
        assertThat(eventCount(key)).isEqualTo("2");
    }

    @Test
    void fiftyConcurrentRequestsWithOneKeyCreateExactlyOneEvent() throws Exception {
        String key = api.newUnlimitedOrganizationKey("concurrent");
        List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            requests.add(api.sendAsync("POST", "/v1/events", key, BODY, Map.of("Idempotency-Key", "same-for-all")));
        }
        List<Answer> answers = requests.stream().map(RunningApi::await).toList();

        assertThat(answers).filteredOn(answer -> answer.status() == 201).hasSize(1);
        assertThat(answers).allSatisfy(answer -> assertThat(answer.status()).isIn(200, 201, 409));
        String eventId = answers.stream().filter(a -> a.status() == 201).findFirst().orElseThrow().json().get("event_id").stringValue();
        assertThat(answers).filteredOn(answer -> answer.status() == 200)
                .allSatisfy(answer -> assertThat(answer.json().get("event_id").stringValue()).isEqualTo(eventId));
        assertThat(eventCount(key)).isEqualTo("1");
        System.out.printf("50 concurrent requests with one key: %d created, %d replayed, %d in flight (409)%n",
                answers.stream().filter(a -> a.status() == 201).count(),
                answers.stream().filter(a -> a.status() == 200).count(),
                answers.stream().filter(a -> a.status() == 409).count());
    }

    @Test
    void aKeyWhoseFirstRequestIsStillInFlightIs409() throws Exception {
        String key = api.newUnlimitedOrganizationKey("in-flight");
        CompletableFuture<HttpResponse<String>> first;
        try (Connection lock = api.jdbc()) {
            lock.setAutoCommit(false);
            try (Statement statement = lock.createStatement()) {
                // Holds the first request inside PostgreSQL: its insert waits for this lock.
                statement.execute("LOCK TABLE idempotency_keys IN SHARE ROW EXCLUSIVE MODE");
            }
            first = api.sendAsync("POST", "/v1/events", key, BODY, Map.of("Idempotency-Key", "slow"));
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    "1".equals(api.queryText("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                            + "WHERE c.relname = 'idempotency_keys' AND NOT l.granted")));

            Answer second = post(key, "slow", BODY, null);

            assertThat(second.status()).isEqualTo(409);
            assertThat(second.json().get("error").get("code").stringValue()).isEqualTo("CONFLICT");
            assertThat(second.header("Retry-After")).isNotNull();
            lock.rollback();
        }
        Answer firstAnswer = RunningApi.await(first);
        assertThat(firstAnswer.status()).isEqualTo(201);
        Answer third = post(key, "slow", BODY, null);
        assertThat(third.status()).isEqualTo(200);
        assertThat(third.json().get("event_id")).isEqualTo(firstAnswer.json().get("event_id"));
    }

    @Test
    void postgresStillDecidesWhenRedisForgot() throws Exception {
        String key = api.newUnlimitedOrganizationKey("flushed");
        Answer first = post(key, "survives-flush", BODY, "original");
        api.deleteRedisKeys("idempotency:*");

        Answer replay = post(key, "survives-flush", BODY, "later");
        api.deleteRedisKeys("idempotency:*");
        Answer reused = post(key, "survives-flush", BODY.replace("order.created", "order.paid"), null);

        assertThat(replay.status()).isEqualTo(200);
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(replay.json()).isEqualTo(first.json());
        assertThat(reused.status()).isEqualTo(422);
        assertThat(eventCount(key)).isEqualTo("1");
    }

    @Test
    void aKeyOlderThan24HoursCanBeUsedAgain() throws Exception {
        String key = api.newUnlimitedOrganizationKey("expired");
        Answer first = post(key, "old-key", BODY, null);
        api.queryText("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE event_id = ?::uuid RETURNING 1",
                first.json().get("event_id").stringValue());
        api.deleteRedisKeys("idempotency:*");

        Answer fresh = post(key, "old-key", BODY.replace("order.created", "order.shipped"), null);

        assertThat(fresh.status()).isEqualTo(201);
        assertThat(fresh.json().get("event_id")).isNotEqualTo(first.json().get("event_id"));
        assertThat(eventCount(key)).isEqualTo("2");
    }

    @Test
    void aMalformedKeyIs400() {
        String key = api.newUnlimitedOrganizationKey("bad-key");
        Answer answer = post(key, "x".repeat(256), BODY, null);
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().get("error").get("details").get(0).get("field").stringValue()).isEqualTo("Idempotency-Key");
    }

    private static Answer post(String key, String idempotencyKey, String body, String requestId) {
        Map<String, String> headers = new java.util.HashMap<>();
        if (idempotencyKey != null) {
            headers.put("Idempotency-Key", idempotencyKey);
        }
        if (requestId != null) {
            headers.put("X-Request-ID", requestId);
        }
        return api.send("POST", "/v1/events", key, body, headers);
    }

    private static String eventCount(String key) throws Exception {
        JsonNode me = api.send("GET", "/v1/me", key, null, Map.of()).json();
        return api.queryText("SELECT count(*) FROM events WHERE organization_id = ?::uuid", me.get("organization_id").stringValue());
    }
}
