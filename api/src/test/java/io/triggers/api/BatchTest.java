package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.triggers.api.RunningApi.Answer;
import io.triggers.api.events.BatchWork;
import io.triggers.api.web.UnreadBodies;
import io.triggers.testing.TestServers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Scheduler;
import tools.jackson.databind.JsonNode;

/** {@code POST /v1/events/batch}: per-item results, the valid items committed and queued. */
class BatchTest {

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
    void itemsSucceedOrFailOneByOne() throws Exception {
        String key = api.newUnlimitedOrganizationKey("batch");
        api.send("POST", "/v1/endpoints", key, "{\"url\":\"https://example.com/orders\",\"event_types\":[\"order.*\"]}", Map.of());
        String body = """
                {"events": [
                  {"event_type": "order.created", "payload": {"n": 0}},
                  {"payload": {"n": 1}},
                  {"event_type": "order.paid", "source": "shop", "payload": [1, 2]},
                  "not an event",
                  {"event_type": "other.thing", "payload": true, "colour": "red"},
                  {"event_type": "other.thing", "payload": "pull only"}
                ]}
                """;

        Answer answer = api.send("POST", "/v1/events/batch", key, body, Map.of());

        assertThat(answer.status()).isEqualTo(200);
        JsonNode results = answer.json().get("results");
        assertThat(results).hasSize(6);
        assertThat(statuses(results)).containsExactly(201, 400, 201, 400, 400, 201);
        assertThat(results.get(1).get("error").get("code").stringValue()).isEqualTo("VALIDATION_ERROR");
        assertThat(results.get(1).get("error").get("details").get(0).get("field").stringValue()).isEqualTo("event_type");
        assertThat(results.get(4).get("error").get("details").get(0).get("issue").stringValue()).isEqualTo("unknown_field");
        assertThat(results.get(0).has("error")).isFalse();

        String organization = api.send("GET", "/v1/me", key, null, Map.of()).json().get("organization_id").stringValue();
        assertThat(api.queryText("SELECT count(*) FROM events WHERE organization_id = ?::uuid", organization)).isEqualTo("3");
        assertThat(api.queryText("SELECT count(*) FROM deliveries WHERE organization_id = ?::uuid", organization)).isEqualTo("2");
        // Only the events an endpoint wants are queued.
        Set<String> queued = queuedEventIds();
        assertThat(queued).contains(id(results, 0), id(results, 2)).doesNotContain(id(results, 5));
    }

    @Test
    void idempotencyKeysWorkPerItemAndAcrossCalls() {
        String key = api.newUnlimitedOrganizationKey("batch-keys");
        String body = """
                {"events": [
                  {"event_type": "a", "payload": 1, "idempotency_key": "k1"},
                  {"event_type": "a", "payload": 1, "idempotency_key": "k1"},
                  {"event_type": "b", "payload": 2, "idempotency_key": "k2"},
                  {"event_type": "a", "payload": 3, "idempotency_key": "k1"}
                ]}
                """;
        JsonNode results = api.send("POST", "/v1/events/batch", key, body, Map.of()).json().get("results");

        assertThat(statuses(results)).containsExactly(201, 200, 201, 422);
        assertThat(id(results, 1)).isEqualTo(id(results, 0));
        assertThat(results.get(3).get("error").get("code").stringValue()).isEqualTo("IDEMPOTENCY_KEY_REUSED");

        Answer single = api.send("POST", "/v1/events", key, "{\"event_type\":\"b\",\"payload\":2}", Map.of("Idempotency-Key", "k2"));
        assertThat(single.status()).isEqualTo(200);
        assertThat(single.json().get("event_id").stringValue()).isEqualTo(id(results, 2));

        JsonNode again = api.send("POST", "/v1/events/batch", key, body, Map.of()).json().get("results");
        assertThat(statuses(again)).containsExactly(200, 200, 200, 422);
    }

    @Test
    void theBatchItselfMustBeWellFormed() {
        String key = api.newUnlimitedOrganizationKey("batch-shape");
        StringBuilder tooMany = new StringBuilder("{\"events\":[");
        for (int i = 0; i < 501; i++) {
            tooMany.append(i == 0 ? "" : ",").append("{\"event_type\":\"x\",\"payload\":1}");
        }
        tooMany.append("]}");
        for (String body : new String[] {"{\"events\":[]}", "{}", "{\"events\":{}}", "{\"events\":[],\"more\":1}", tooMany.toString()}) {
            Answer answer = api.send("POST", "/v1/events/batch", key, body, Map.of());
            assertThat(answer.status()).as(body.length() > 80 ? "501 items" : body).isEqualTo(400);
            assertThat(answer.json().get("error").get("code").stringValue()).isEqualTo("VALIDATION_ERROR");
        }
        // A body declared larger than the server will read even to drop it is refused on its
        // Content-Length before any of it arrives (EarlyAnswersTest: a smaller one is read first).
        RawHttp.Response huge = RawHttp.answerBeforeBody(api.port(), "POST", "/v1/events/batch", key, UnreadBodies.MAX_DISCARDED_BYTES + 1);
        assertThat(huge.status()).isEqualTo(413);
        assertThat(huge.code()).isEqualTo("PAYLOAD_TOO_LARGE");
    }

    @Test
    void fiveHundredItemsAreCommittedTogether() throws Exception {
        String key = api.newUnlimitedOrganizationKey("batch-500");
        StringBuilder body = new StringBuilder("{\"events\":[");
        for (int i = 0; i < 500; i++) {
            body.append(i == 0 ? "" : ",").append("{\"event_type\":\"bulk.item\",\"payload\":{\"i\":").append(i).append("}}");
        }
        body.append("]}");
        JsonNode results = api.send("POST", "/v1/events/batch", key, body.toString(), Map.of()).json().get("results");
        assertThat(statuses(results)).hasSize(500).containsOnly(201);
        String organization = api.send("GET", "/v1/me", key, null, Map.of()).json().get("organization_id").stringValue();
        assertThat(api.queryText("SELECT count(DISTINCT xmin::text) || ' ' || count(*) FROM events WHERE organization_id = ?::uuid",
                organization)).as("one transaction for all rows").isEqualTo("1 500");
    }

    @Test
    void anItemOverTheSingleEventLimitIs413AndTheOthersAreStored() throws Exception {
        String key = api.newUnlimitedOrganizationKey("batch-big-item");
        String big = "{\"event_type\":\"big\",\"payload\":\"" + "x".repeat(300 * 1024) + "\"}";
        String body = "{\"events\":[{\"event_type\":\"small\",\"payload\":1}," + big + ",{\"event_type\":\"small\",\"payload\":2}]}";

        Answer answer = api.send("POST", "/v1/events/batch", key, body, Map.of());

        assertThat(answer.status()).isEqualTo(200);
        JsonNode results = answer.json().get("results");
        assertThat(statuses(results)).containsExactly(201, 413, 201);
        assertThat(results.get(1).get("error").get("code").stringValue()).isEqualTo("PAYLOAD_TOO_LARGE");
        String organization = api.send("GET", "/v1/me", key, null, Map.of()).json().get("organization_id").stringValue();
        assertThat(api.queryText("SELECT count(*) FROM events WHERE organization_id = ?::uuid", organization)).isEqualTo("2");
        assertThat(api.queryText("SELECT count(*) FROM events WHERE organization_id = ?::uuid AND event_type = 'big'", organization))
                .isEqualTo("0");
    }

    @Test
    void anItemIsMeasuredAsTheSameEventSentAlone() {
        String key = api.newUnlimitedOrganizationKey("batch-edge");
        String atTheLimit = eventOfSize(256 * 1024);
        String overTheLimit = eventOfSize(256 * 1024 + 1);
        assertThat(api.send("POST", "/v1/events", key, atTheLimit, Map.of()).status()).isEqualTo(201);
        assertThat(api.send("POST", "/v1/events", key, overTheLimit, Map.of()).status()).isEqualTo(413);

        String body = "{\"events\":[" + atTheLimit + "," + overTheLimit + "]}";
        JsonNode results = api.send("POST", "/v1/events/batch", key, body, Map.of()).json().get("results");
        assertThat(statuses(results)).containsExactly(201, 413);
    }

    @Test
    void jsonNestedDeeperThan64LevelsIsRefused() {
        String key = api.newUnlimitedOrganizationKey("batch-deep");
        // The body object, the events array and the item are three levels.
        String deepest = "{\"events\":[{\"event_type\":\"deep\",\"payload\":" + "[".repeat(61) + "]".repeat(61) + "}]}";
        String tooDeep = "{\"events\":[{\"event_type\":\"deep\",\"payload\":" + "[".repeat(62) + "]".repeat(62) + "}]}";
        Answer accepted = api.send("POST", "/v1/events/batch", key, deepest, Map.of());
        assertThat(accepted.status()).isEqualTo(200);
        assertThat(statuses(accepted.json().get("results"))).containsExactly(201);
        Answer refused = api.send("POST", "/v1/events/batch", key, tooDeep, Map.of());
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().get("error").get("code").stringValue()).isEqualTo("VALIDATION_ERROR");
    }

    /** A compact single-event body of exactly {@code bytes} bytes. */
    private static String eventOfSize(int bytes) {
        String empty = "{\"event_type\":\"edge\",\"payload\":\"\"}";
        String event = "{\"event_type\":\"edge\",\"payload\":\"" + "e".repeat(bytes - empty.length()) + "\"}";
        assertThat(event.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSize(bytes);
        return event;
    }

    private static java.util.List<Integer> statuses(JsonNode results) {
        java.util.List<Integer> statuses = new java.util.ArrayList<>();
        results.forEach(result -> statuses.add(result.get("status").intValue()));
        return statuses;
    }

    private static String id(JsonNode results, int index) {
        return results.get(index).get("event_id").stringValue();
    }

    private static Set<String> queuedEventIds() {
        RedisClient redis = RedisClient.create(TestServers.get().redisUri());
        try (StatefulRedisConnection<String, String> connection = redis.connect()) {
            return new io.triggers.testing.TestQueue(connection.sync(), api.redisPrefix).queuedEventIds();
        } finally {
            redis.shutdown();
        }
    }

    /**
     * A batch is parsed, validated and answered on {@link BatchWork}'s threads, never on the threads
     * every request shares (the Redis client's event loop ran whole batches' validation after their
     * rate-limit answer, and every other request's Redis replies waited behind it): with those threads
     * held, a single event is still answered and a batch waits; let go, the batch is answered.
     */
    @Test
    void aBatchIsWorkedOnThreadsOfItsOwnNotOnTheSharedOnes() throws Exception {
        String key = api.newUnlimitedOrganizationKey("batch-threads");
        Scheduler batchThreads = api.context.getBean(BatchWork.class).scheduler();
        int threads = Runtime.getRuntime().availableProcessors();
        AtomicBoolean release = new AtomicBoolean();
        CountDownLatch held = new CountDownLatch(threads);
        List<Scheduler.Worker> holders = new ArrayList<>();
        CompletableFuture<HttpResponse<String>> batch;
        try {
            for (int i = 0; i < threads; i++) {
                // Each worker of the parallel scheduler is a thread of its own (handed out in turn).
                Scheduler.Worker holder = batchThreads.createWorker();
                holders.add(holder);
                holder.schedule(() -> {
                    held.countDown();
                    // Spinning, not parking or Thread.onSpinWait: these threads are non-blocking, and BlockHound watches them.
                    while (!release.get()) {
                        // held
                    }
                });
            }
            assertThat(held.await(10, TimeUnit.SECONDS)).as("every batch thread held").isTrue();

            batch = api.sendAsync("POST", "/v1/events/batch", key,
                    "{\"events\":[{\"event_type\":\"a\",\"payload\":{}},{\"event_type\":\"b\",\"payload\":{}}]}", Map.of());
            assertThat(api.send("POST", "/v1/events", key, "{\"event_type\":\"single\",\"payload\":{}}", Map.of()).status())
                    .isEqualTo(201);
            // Unheld, a two-event batch is answered in milliseconds.
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> !batch.isDone());
        } finally {
            release.set(true);
            holders.forEach(Scheduler.Worker::dispose);
        }
        // The batch submitted while they were held is answered once they are free.
        HttpResponse<String> answered = batch.get(10, TimeUnit.SECONDS);
        assertThat(answered.statusCode()).isEqualTo(200);
        assertThat(RunningApi.JSON.readTree(answered.body()).get("results")).hasSize(2)
                .allSatisfy(result -> assertThat(result.get("status").intValue()).isEqualTo(201));
    }
}
