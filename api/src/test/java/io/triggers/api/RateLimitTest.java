package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RunningApi.Answer;
import io.triggers.api.events.EventQueue;
import io.triggers.api.ratelimit.RateLimiter;
import io.triggers.api.web.UnreadBodies;
import io.triggers.shared.queue.FixedScript;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The per-organization rate limits, in Redis, shared by every api replica: the ingest budget (the
 * organization's {@code rate_limit_per_minute}) and the separate budget of every other call
 * ({@code triggers.rate-limit.calls-per-minute}, 10 here).
 */
class RateLimitTest {

    private static final Map<String, String> CALLS = Map.of("triggers.rate-limit.calls-per-minute", "10");
    private static final String EVENT = "{\"event_type\":\"a\",\"payload\":1}";

    private static RunningApi api;
    private static RunningApi replica;

    @BeforeAll
    static void start() {
        api = RunningApi.start(CALLS);
        replica = RunningApi.alongside(api, CALLS);
    }

    @AfterAll
    static void stop() {
        replica.close();
        api.close();
    }

    @Test
    void everyAnswerCarriesTheHeadersAndTheCallPastTheLimitIs429() {
        String key = organization(5);
        for (int i = 0; i < 5; i++) {
            Answer answer = api.send("POST", "/v1/events", key, EVENT, Map.of());
            assertThat(answer.status()).isEqualTo(201);
            assertThat(answer.header("X-RateLimit-Limit")).isEqualTo("5");
            assertThat(answer.header("X-RateLimit-Remaining")).isEqualTo(Integer.toString(4 - i));
            assertThat(Long.parseLong(answer.header("X-RateLimit-Reset"))).isBetween(1L, 60L);
        }

        Answer limited = api.send("POST", "/v1/events", key, "{\"event_type\":\"a\",\"payload\":1}", Map.of());

        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.json().get("error").get("code").stringValue()).isEqualTo("RATE_LIMITED");
        assertThat(limited.json().get("error").get("request_id").stringValue()).isEqualTo(limited.header("X-Request-ID"));
        // One unit comes back every 60 s / 5 = 12 s.
        assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(1L, 12L);
        assertThat(limited.header("X-RateLimit-Remaining")).isEqualTo("0");
        assertThat(limited.header("X-RateLimit-Limit")).isEqualTo("5");
    }

    @Test
    void theLimitHoldsAcrossReplicas() {
        String key = organization(6);
        for (int i = 0; i < 3; i++) {
            assertThat(api.send("POST", "/v1/events", key, EVENT, Map.of()).status()).isEqualTo(201);
            assertThat(replica.send("POST", "/v1/events", key, EVENT, Map.of()).status()).isEqualTo(201);
        }
        assertThat(replica.send("POST", "/v1/events", key, EVENT, Map.of()).status()).isEqualTo(429);
        assertThat(api.send("POST", "/v1/events", key, EVENT, Map.of()).status()).isEqualTo(429);
    }

    @Test
    void zeroMeansUnlimitedAndTheTierDecidesByDefault() {
        String unlimited = organization(0);
        for (int i = 0; i < 40; i++) {
            Answer answer = api.send("POST", "/v1/events", unlimited, EVENT, Map.of());
            assertThat(answer.status()).isEqualTo(201);
            assertThat(answer.header("X-RateLimit-Limit")).isEqualTo("0");
        }
        String pro = api.createOrganization("{\"name\":\"pro\",\"tier\":\"pro\"}").get("api_key").get("key").stringValue();
        assertThat(api.send("POST", "/v1/events", pro, EVENT, Map.of()).header("X-RateLimit-Limit")).isEqualTo("1000");
    }

    @Test
    void aBatchCostsOneUnitPerItemAndItemsPastTheLimitAre429() {
        String key = organization(5);
        StringBuilder events = new StringBuilder("{\"events\":[");
        for (int i = 0; i < 8; i++) {
            events.append(i == 0 ? "" : ",").append("{\"event_type\":\"batch.item\",\"payload\":").append(i).append('}');
        }
        events.append("]}");

        Answer partly = api.send("POST", "/v1/events/batch", key, events.toString(), Map.of());

        assertThat(partly.status()).isEqualTo(200);
        assertThat(partly.header("X-RateLimit-Remaining")).isEqualTo("0");
        JsonNode results = partly.json().get("results");
        for (int i = 0; i < 8; i++) {
            assertThat(results.get(i).get("index").intValue()).isEqualTo(i);
            assertThat(results.get(i).get("status").intValue()).isEqualTo(i < 5 ? 201 : 429);
        }
        assertThat(results.get(7).get("error").get("code").stringValue()).isEqualTo("RATE_LIMITED");

        Answer none = api.send("POST", "/v1/events/batch", key, events.toString(), Map.of());
        assertThat(none.status()).isEqualTo(429);
        assertThat(none.header("Retry-After")).isNotNull();
    }

    @Test
    void aBatchIsChargedItsFirstUnitBeforeItsBodyIsRead() {
        String key = organization(3);
        for (int i = 0; i < 3; i++) {
            assertThat(api.send("POST", "/v1/events", key, EVENT, Map.of()).status()).isEqualTo(201);
        }

        // Malformed, or too large to be read at all: a tenant whose budget is spent gets 429 for either.
        Answer malformed = api.send("POST", "/v1/events/batch", key, "{\"events\": [", Map.of());
        assertThat(malformed.status()).isEqualTo(429);
        assertThat(malformed.json().get("error").get("code").stringValue()).isEqualTo("RATE_LIMITED");
        assertThat(malformed.header("Retry-After")).isNotNull();
        assertThat(malformed.header("X-RateLimit-Remaining")).isEqualTo("0");
        // The answer comes before any of a body too large to be read even to drop it is sent
        // (EarlyAnswersTest: a smaller one is read and dropped first).
        RawHttp.Response huge = RawHttp.answerBeforeBody(api.port(), "POST", "/v1/events/batch", key, UnreadBodies.MAX_DISCARDED_BYTES + 1);
        assertThat(huge.status()).isEqualTo(429);
        assertThat(huge.code()).isEqualTo("RATE_LIMITED");
    }

    @Test
    void aBatchCostsOneUnitPerItemInAllAndAFailedOneCostsOne() {
        String key = organization(10);
        StringBuilder events = new StringBuilder("{\"events\":[");
        for (int i = 0; i < 3; i++) {
            events.append(i == 0 ? "" : ",").append("{\"event_type\":\"batch.item\",\"payload\":").append(i).append('}');
        }
        events.append("]}");

        Answer three = api.send("POST", "/v1/events/batch", key, events.toString(), Map.of());
        assertThat(three.status()).isEqualTo(200);
        assertThat(three.header("X-RateLimit-Remaining")).isEqualTo("7");

        Answer one = api.send("POST", "/v1/events/batch", key, "{\"events\":[{\"event_type\":\"a\",\"payload\":1}]}", Map.of());
        assertThat(one.header("X-RateLimit-Remaining")).isEqualTo("6");

        Answer malformed = api.send("POST", "/v1/events/batch", key, "{\"events\": [", Map.of());
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.header("X-RateLimit-Remaining")).isEqualTo("5");
    }

    @Test
    void aChangedLimitAppliesToTheNextRequests() {
        JsonNode organization = api.createOrganization("{\"name\":\"changing\",\"rate_limit_per_minute\":3}");
        String key = organization.get("api_key").get("key").stringValue();
        assertThat(api.send("POST", "/v1/events", key, EVENT, Map.of()).header("X-RateLimit-Limit")).isEqualTo("3");

        api.send("PATCH", "/v1/organizations/" + organization.get("id").stringValue(), api.adminToken,
                "{\"rate_limit_per_minute\":50}", Map.of());

        assertThat(api.send("POST", "/v1/events", key, EVENT, Map.of()).header("X-RateLimit-Limit")).isEqualTo("50");
    }

    @Test
    void readsAndManagementSpendABudgetOfTheirOwnOnEveryReplica() {
        String key = organization(2);
        for (int i = 0; i < 5; i++) {
            Answer read = api.send("GET", "/v1/me", key, null, Map.of());
            assertThat(read.status()).isEqualTo(200);
            assertThat(read.header("X-RateLimit-Limit")).isEqualTo("10");
            assertThat(read.header("X-RateLimit-Remaining")).isEqualTo(Integer.toString(9 - 2 * i));
            assertThat(replica.send("GET", "/v1/inbox", key, null, Map.of()).status()).isEqualTo(200);
        }
        Answer spent = api.send("GET", "/v1/endpoints", key, null, Map.of());
        assertThat(spent.status()).isEqualTo(429);
        assertThat(spent.header("X-RateLimit-Limit")).isEqualTo("10");
        assertThat(Long.parseLong(spent.header("Retry-After"))).isBetween(1L, 6L);

        // Polling spent its budget, not ingestion's: the organization still ingests, and the headers say which budget.
        Answer ingested = api.send("POST", "/v1/events", key, EVENT, Map.of());
        assertThat(ingested.status()).isEqualTo(201);
        assertThat(ingested.header("X-RateLimit-Limit")).isEqualTo("2");
        assertThat(ingested.header("X-RateLimit-Remaining")).isEqualTo("1");
        assertThat(replica.send("POST", "/v1/events/batch", key, "{\"events\":[" + EVENT + "]}", Map.of()).status()).isEqualTo(200);
        // And the reverse: with ingestion spent, reads are still refused only by their own budget.
        assertThat(api.send("POST", "/v1/events", key, EVENT, Map.of()).status()).isEqualTo(429);
        String other = organization(1);
        assertThat(api.send("POST", "/v1/events", other, EVENT, Map.of()).status()).isEqualTo(201);
        assertThat(api.send("POST", "/v1/events", other, EVENT, Map.of()).status()).isEqualTo(429);
        assertThat(api.send("GET", "/v1/me", other, null, Map.of()).status()).isEqualTo(200);
    }

    @Test
    void onlyTheIngestRoutesAsSpeltSpendTheIngestBudget() {
        String key = organization(1);
        // Other spellings are not the ingest routes: they spend the call budget (and are not found).
        assertThat(api.send("POST", "/v1/events/", key, EVENT, Map.of()).header("X-RateLimit-Limit")).isEqualTo("10");
        assertThat(api.send("POST", "/v1/Events", key, EVENT, Map.of()).header("X-RateLimit-Limit")).isEqualTo("10");
        assertThat(api.send("POST", "/v1/events/batch/x", key, EVENT, Map.of()).header("X-RateLimit-Limit")).isEqualTo("10");
        assertThat(api.send("GET", "/v1/events/batch", key, null, Map.of()).header("X-RateLimit-Limit")).isEqualTo("10");
        Answer ingest = api.send("POST", "/v1/events", key, EVENT, Map.of());
        assertThat(ingest.status()).isEqualTo(201);
        assertThat(ingest.header("X-RateLimit-Limit")).isEqualTo("1");
    }

    /**
     * The Lua scripts run on the event loops for every request (the rate limit's, the queue's) take
     * no lock to name themselves: {@code RedisScript.of}'s scripts take one on every use, and CI's
     * BlockHound caught an event loop parked on it ({@link FixedScript}).
     */
    @Test
    void theScriptsRunForEveryRequestAreFixed() throws Exception {
        java.lang.reflect.Field script = RateLimiter.class.getDeclaredField("script");
        script.setAccessible(true);
        assertThat(script.get(api.context.getBean(RateLimiter.class))).isInstanceOf(FixedScript.class);
        for (String name : java.util.List.of("ENQUEUE", "DESCRIBE", "PRESENT")) {
            java.lang.reflect.Field queueScript = EventQueue.class.getDeclaredField(name);
            queueScript.setAccessible(true);
            assertThat(queueScript.get(null)).as(name).isInstanceOf(FixedScript.class);
        }
    }

    private static String organization(int limit) {
        return api.createOrganization("{\"name\":\"limited\",\"rate_limit_per_minute\":" + limit + "}")
                .get("api_key").get("key").stringValue();
    }
}
