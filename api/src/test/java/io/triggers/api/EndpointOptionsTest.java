package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RunningApi.Answer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The endpoint options of API.md "Endpoint options" (issue 19): static {@code headers} (rules,
 * encrypted at rest, masked on read), {@code filter} (every operator, applied when the event is
 * stored) and {@code retry_schedule}; and {@code POST /v1/endpoints/{id}/test}.
 */
class EndpointOptionsTest {

    private static RunningApi api;
    private static String key;

    /** A filter, an event's body, and whether the event must get a delivery to the endpoint. */
    private record Case(String filter, String event, boolean delivered) {
    }

    private static final String ORDER = "{\"event_type\":\"order.created\",\"source\":\"shop\",\"payload\":"
            + "{\"amount\":150,\"currency\":\"EUR\",\"tags\":[\"a\",\"b\"],\"customer\":{\"vip\":true},\"note\":null},"
            + "\"metadata\":{\"region\":\"eu\"}}";

    private static final List<Case> CASES = List.of(
            // a bare value is $eq, on any part of the envelope
            new Case("{\"type\":\"order.created\"}", ORDER, true),
            new Case("{\"type\":\"order.paid\"}", ORDER, false),
            new Case("{\"source\":\"shop\",\"metadata.region\":\"eu\"}", ORDER, true),
            new Case("{\"source\":\"shop\",\"metadata.region\":\"us\"}", ORDER, false),
            new Case("{\"data.customer.vip\":true}", ORDER, true),
            new Case("{\"data.note\":null}", ORDER, true),
            new Case("{\"data.tags\":\"b\"}", ORDER, true), // an array matches when an element does
            new Case("{\"data.amount\":{\"$eq\":150}}", ORDER, true),
            new Case("{\"data.amount\":{\"$eq\":\"150\"}}", ORDER, false), // types must agree
            new Case("{\"data.amount\":{\"$ne\":150}}", ORDER, false),
            new Case("{\"data.amount\":{\"$ne\":151}}", ORDER, true),
            new Case("{\"data.missing\":{\"$ne\":1}}", ORDER, true), // $ne holds for an absent path
            new Case("{\"data.amount\":{\"$gt\":149}}", ORDER, true),
            new Case("{\"data.amount\":{\"$gt\":150}}", ORDER, false),
            new Case("{\"data.amount\":{\"$gte\":150}}", ORDER, true),
            new Case("{\"data.amount\":{\"$gte\":150.5}}", ORDER, false),
            new Case("{\"data.amount\":{\"$lt\":151}}", ORDER, true),
            new Case("{\"data.amount\":{\"$lt\":150}}", ORDER, false),
            new Case("{\"data.amount\":{\"$lte\":150}}", ORDER, true),
            new Case("{\"data.amount\":{\"$lte\":149}}", ORDER, false),
            new Case("{\"data.amount\":{\"$gte\":100,\"$lt\":200}}", ORDER, true),
            new Case("{\"data.currency\":{\"$gt\":\"AAA\"}}", ORDER, true),
            new Case("{\"data.currency\":{\"$gt\":100}}", ORDER, false), // a string is not greater than a number
            new Case("{\"source\":{\"$in\":[\"shop\",\"pos\"]}}", ORDER, true),
            new Case("{\"source\":{\"$in\":[\"web\",\"pos\"]}}", ORDER, false),
            new Case("{\"source\":{\"$nin\":[\"web\",\"pos\"]}}", ORDER, true),
            new Case("{\"source\":{\"$nin\":[\"shop\"]}}", ORDER, false),
            new Case("{\"data.customer.vip\":{\"$exists\":true}}", ORDER, true),
            new Case("{\"data.customer.gold\":{\"$exists\":true}}", ORDER, false),
            new Case("{\"data.customer.gold\":{\"$exists\":false}}", ORDER, true),
            new Case("{\"data.note\":{\"$exists\":true}}", ORDER, true), // present, though null
            new Case("{\"type\":\"order.created\",\"data.amount\":{\"$gt\":1000}}", ORDER, false), // all must hold
            // values are literals, never predicate text: a quote cannot close the string and add a condition
            new Case("{\"source\":\"x\\\" || @ == \\\"shop\"}", ORDER, false),
            new Case("{\"source\":{\"$in\":[\"x\\\") || exists($) || (@ == \\\"y\"]}}", ORDER, false),
            new Case("{\"source\":\"sh\\\\op\"}", ORDER, false));

    @BeforeAll
    static void start() {
        api = RunningApi.start(Map.of("triggers.delivery.allow-private-targets", "true"));
        key = api.newUnlimitedOrganizationKey("endpoint options");
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void headersAreKeptEncryptedAndShownMasked() throws Exception {
        Answer created = create("{\"url\":\"http://127.0.0.1:9/h\",\"headers\":{\"Authorization\":\"Bearer s3cret-token\",\"X-Tenant\":\"short\"}}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.json().get("headers").get("Authorization").stringValue()).isEqualTo("****oken");
        assertThat(created.json().get("headers").get("X-Tenant").stringValue()).isEqualTo("****");
        String id = created.json().get("id").stringValue();

        JsonNode read = api.send("GET", "/v1/endpoints/" + id, key, null, Map.of()).json();
        assertThat(read.get("headers").get("Authorization").stringValue()).isEqualTo("****oken");
        String stored = api.queryText("SELECT headers FROM endpoints WHERE id = ?::uuid", id);
        assertThat(stored).isNotNull().doesNotContain("s3cret").doesNotContain("Authorization");

        // PATCH replaces the whole set; null removes it.
        JsonNode patched = api.send("PATCH", "/v1/endpoints/" + id, key, "{\"headers\":{\"X-Other\":\"a-longer-value\"}}", Map.of()).json();
        assertThat(patched.get("headers").propertyNames()).containsExactly("X-Other");
        JsonNode cleared = api.send("PATCH", "/v1/endpoints/" + id, key, "{\"headers\":null}", Map.of()).json();
        assertThat(cleared.get("headers").isEmpty()).isTrue();
        assertThat(api.queryText("SELECT headers FROM endpoints WHERE id = ?::uuid", id)).isNull();
    }

    @Test
    void headersTheServiceSetsOrThatAreMalformedAreRefused() {
        StringBuilder many = new StringBuilder("{");
        for (int i = 0; i < 21; i++) {
            many.append(i == 0 ? "" : ",").append("\"X-H").append(i).append("\":\"v\"");
        }
        Map<String, String> refused = Map.of(
                "{\"webhook-id\":\"x\"}", "headers.webhook-id",
                "{\"Webhook-Signature\":\"x\"}", "headers.Webhook-Signature",
                "{\"Content-Type\":\"text/plain\"}", "headers.Content-Type",
                "{\"Host\":\"evil\"}", "headers.Host",
                "{\"Transfer-Encoding\":\"chunked\"}", "headers.Transfer-Encoding",
                "{\"traceparent\":\"00-x\"}", "headers.traceparent",
                "{\"Bad Name\":\"x\"}", "headers.Bad Name",
                "{\"X-Smuggle\":\"a\\r\\nHost: evil\"}", "headers.X-Smuggle",
                "{\"X-Number\":5}", "headers.X-Number",
                many.append('}').toString(), "headers");
        refused.forEach((headers, field) -> {
            Answer answer = create("{\"url\":\"http://127.0.0.1:9/h\",\"headers\":" + headers + "}");
            assertThat(answer.status()).as(headers).isEqualTo(400);
            assertThat(answer.json().get("error").get("details").findValuesAsString("field")).as(headers).contains(field);
        });
        Answer twice = create("{\"url\":\"http://127.0.0.1:9/h\",\"headers\":{\"X-A\":\"1\",\"x-a\":\"2\"}}");
        assertThat(twice.status()).isEqualTo(400);
        Answer tooLong = create("{\"url\":\"http://127.0.0.1:9/h\",\"headers\":{\"X-A\":\"" + "v".repeat(1025) + "\"}}");
        assertThat(tooLong.status()).isEqualTo(400);
    }

    @Test
    void eachFilterOperatorDecidesWhetherTheEventGetsADelivery() throws Exception {
        for (Case test : CASES) {
            Answer endpoint = create("{\"url\":\"http://127.0.0.1:9/f\",\"filter\":" + test.filter() + "}");
            assertThat(endpoint.status()).as(test.filter() + ": " + endpoint.text()).isEqualTo(201);
            assertThat(endpoint.json().get("filter").toString()).isEqualTo(RunningApi.JSON.readTree(test.filter()).toString());
            String endpointId = endpoint.json().get("id").stringValue();
            String eventId = api.send("POST", "/v1/events", key, test.event(), Map.of()).json().get("event_id").stringValue();
            String deliveries = api.queryText("SELECT count(*) FROM deliveries WHERE event_id = ?::uuid AND endpoint_id = ?::uuid",
                    eventId, endpointId);
            assertThat(deliveries).as(test.filter()).isEqualTo(test.delivered() ? "1" : "0");
            api.send("DELETE", "/v1/endpoints/" + endpointId, key, null, Map.of());
        }
    }

    @Test
    void aFilterIsAlsoAppliedOnReplayAndCanBeChangedOrRemoved() throws Exception {
        String key = api.newUnlimitedOrganizationKey("replay filter"); // its only endpoint is this one
        Answer endpoint = api.send("POST", "/v1/endpoints", key, "{\"url\":\"http://127.0.0.1:9/r\",\"event_types\":[\"replayed.*\"],\"filter\":{\"data.n\":{\"$gt\":5}}}", Map.of());
        String endpointId = endpoint.json().get("id").stringValue();
        String low = api.send("POST", "/v1/events", key, "{\"event_type\":\"replayed.low\",\"payload\":{\"n\":1}}", Map.of())
                .json().get("event_id").stringValue();
        assertThat(api.send("POST", "/v1/events/" + low + "/replay", key, null, Map.of()).json().get("deliveries").intValue()).isZero();

        JsonNode removed = api.send("PATCH", "/v1/endpoints/" + endpointId, key, "{\"filter\":null}", Map.of()).json();
        assertThat(removed.get("filter").isNull()).isTrue();
        assertThat(api.send("POST", "/v1/events/" + low + "/replay", key, null, Map.of()).json().get("deliveries").intValue()).isEqualTo(1);
    }

    @Test
    void invalidFiltersAreRefusedNamingTheCondition() {
        Map<String, String> refused = Map.ofEntries(
                Map.entry("[1]", "filter"),
                Map.entry("{}", "filter"),
                Map.entry("{\"payload.amount\":1}", "filter.payload.amount"),
                Map.entry("{\"data..amount\":1}", "filter.data..amount"),
                Map.entry("{\"data.amount\":{\"$regex\":\"x\"}}", "filter.data.amount.$regex"),
                Map.entry("{\"data.amount\":{\"$gt\":true}}", "filter.data.amount.$gt"),
                Map.entry("{\"data.amount\":{\"$in\":[]}}", "filter.data.amount.$in"),
                Map.entry("{\"data.amount\":{\"$in\":[[1]]}}", "filter.data.amount.$in"),
                Map.entry("{\"data.amount\":{\"$exists\":1}}", "filter.data.amount.$exists"),
                Map.entry("{\"data.amount\":{}}", "filter.data.amount"),
                Map.entry("{\"data.amount\":[1,2]}", "filter.data.amount"),
                Map.entry("{\"data.note\":\"nul\\u0000here\"}", "filter"));
        refused.forEach((filter, field) -> {
            Answer answer = create("{\"url\":\"http://127.0.0.1:9/h\",\"filter\":" + filter + "}");
            assertThat(answer.status()).as(filter).isEqualTo(400);
            assertThat(answer.json().get("error").get("details").findValuesAsString("field")).as(filter).contains(field);
        });
    }

    @Test
    void aRetryScheduleIsTakenShownAndCleared() {
        Answer created = create("{\"url\":\"http://127.0.0.1:9/s\",\"retry_schedule\":[\"500ms\",\"90s\",\"60m\",\"24h\"]}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.json().get("retry_schedule").toString()).isEqualTo("[\"500ms\",\"90s\",\"1h\",\"1d\"]");
        String id = created.json().get("id").stringValue();
        JsonNode cleared = api.send("PATCH", "/v1/endpoints/" + id, key, "{\"retry_schedule\":null}", Map.of()).json();
        assertThat(cleared.get("retry_schedule").isNull()).isTrue();

        for (String invalid : List.of("[]", "\"5s\"", "[\"5\"]", "[\"50ms\"]", "[\"8d\"]", "[5]", "[\"1s\",\"2x\"]")) {
            Answer answer = create("{\"url\":\"http://127.0.0.1:9/s\",\"retry_schedule\":" + invalid + "}");
            assertThat(answer.status()).as(invalid).isEqualTo(400);
            assertThat(answer.json().get("error").get("details").get(0).get("field").stringValue()).isEqualTo("retry_schedule");
        }
    }

    @Test
    void aTestEventGoesToThatEndpointOnlyWhateverItsTypesAndFilterAndStaysOutOfTheInbox() throws Exception {
        String key = api.newUnlimitedOrganizationKey("endpoint test");
        String tested = api.send("POST", "/v1/endpoints", key, "{\"url\":\"http://127.0.0.1:9/t\",\"event_types\":[\"order.*\"],"
                + "\"filter\":{\"data.amount\":{\"$gt\":1000}}}", Map.of()).json().get("id").stringValue();
        String other = api.send("POST", "/v1/endpoints", key, "{\"url\":\"http://127.0.0.1:9/o\"}", Map.of()).json().get("id").stringValue();

        Answer sent = api.send("POST", "/v1/endpoints/" + tested + "/test", key, null, Map.of());
        assertThat(sent.status()).as(sent.text()).isEqualTo(202);
        String eventId = sent.json().get("event_id").stringValue();
        assertThat(api.queryText("SELECT endpoint_id::text FROM deliveries WHERE event_id = ?::uuid", eventId)).isEqualTo(tested);
        JsonNode event = api.send("GET", "/v1/events/" + eventId, key, null, Map.of()).json();
        assertThat(event.get("event_type").stringValue()).isEqualTo("triggers.test");
        assertThat(event.get("payload").get("endpoint_id").stringValue()).isEqualTo(tested);
        assertThat(api.send("GET", "/v1/inbox", key, null, Map.of()).json().get("events")).isEmpty();

        Answer named = api.send("POST", "/v1/endpoints/" + other + "/test", key, "{\"event_type\":\"ping.me\",\"payload\":{\"x\":1}}", Map.of());
        assertThat(named.status()).isEqualTo(202);
        JsonNode namedEvent = api.send("GET", "/v1/events/" + named.json().get("event_id").stringValue(), key, null, Map.of()).json();
        assertThat(namedEvent.get("event_type").stringValue()).isEqualTo("ping.me");
        assertThat(namedEvent.get("payload").get("x").intValue()).isEqualTo(1);

        assertThat(api.send("POST", "/v1/endpoints/" + other + "/test", key, "{\"payload\":null}", Map.of()).status()).isEqualTo(400);
        assertThat(api.send("POST", "/v1/endpoints/" + other + "/test", key, "{\"extra\":1}", Map.of()).status()).isEqualTo(400);
        assertThat(api.send("POST", "/v1/endpoints/" + java.util.UUID.randomUUID() + "/test", key, null, Map.of()).status()).isEqualTo(404);
        api.send("PATCH", "/v1/endpoints/" + other, key, "{\"enabled\":false}", Map.of());
        assertThat(api.send("POST", "/v1/endpoints/" + other + "/test", key, null, Map.of()).status()).isEqualTo(409);
        // Another organization's endpoint is not found.
        String stranger = api.newUnlimitedOrganizationKey("stranger");
        assertThat(api.send("POST", "/v1/endpoints/" + tested + "/test", stranger, null, Map.of()).status()).isEqualTo(404);
    }

    private static Answer create(String body) {
        return api.send("POST", "/v1/endpoints", key, body, Map.of());
    }
}
