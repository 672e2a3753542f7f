package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RunningApi.Answer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Acknowledging and deleting events, and every event call scoped to the key's organization. */
class AcknowledgeAndDeleteTest {

    private static RunningApi api;
    private static String key;

    @BeforeAll
    static void start() {
        api = RunningApi.start(Map.of());
        key = api.newUnlimitedOrganizationKey("acks");
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void acknowledgingIsIdempotentAndKeepsTheFirstTime() throws Exception {
        String id = ingest(key);
        Answer first = api.send("POST", "/v1/events/" + id + "/ack", key, null, Map.of());
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.json().get("status").stringValue()).isEqualTo("acknowledged");
        assertThat(first.json().get("event_id").stringValue()).isEqualTo(id);
        // Move the first acknowledgement an hour back, so a second one could not match it by chance.
        api.queryText("UPDATE events SET acknowledged_at = acknowledged_at - interval '1 hour' WHERE id = ?::uuid RETURNING 1", id);
        String firstTime = api.send("GET", "/v1/events/" + id, key, null, Map.of()).json().get("acknowledged_at").stringValue();

        Answer again = api.send("POST", "/v1/events/" + id + "/ack", key, null, Map.of());

        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("acknowledged_at").stringValue()).isEqualTo(firstTime);
        JsonNode event = api.send("GET", "/v1/events/" + id, key, null, Map.of()).json();
        assertThat(event.get("status").stringValue()).isEqualTo("acknowledged");
        assertThat(event.get("acknowledged_at").stringValue()).isEqualTo(firstTime);
    }

    @Test
    void manyEventsAreAcknowledgedAtOnceWithTheRestNotFound() {
        String other = api.newUnlimitedOrganizationKey("someone-else");
        List<String> mine = List.of(ingest(key), ingest(key));
        String theirs = ingest(other);
        String unknown = UUID.randomUUID().toString();

        Answer answer = api.send("POST", "/v1/events/ack", key,
                "{\"event_ids\":[\"" + mine.get(0) + "\",\"" + mine.get(1) + "\",\"" + theirs + "\",\"" + unknown + "\",\"" + mine.get(0) + "\"]}",
                Map.of());

        assertThat(answer.status()).isEqualTo(200);
        List<String> acknowledged = strings(answer.json().get("acknowledged"));
        assertThat(acknowledged).containsExactlyInAnyOrderElementsOf(mine);
        assertThat(strings(answer.json().get("not_found"))).containsExactlyInAnyOrder(theirs, unknown);
        assertThat(api.send("GET", "/v1/events/" + theirs, other, null, Map.of()).json().get("status").stringValue()).isEqualTo("pending");
    }

    @Test
    void badAcknowledgementRequestsAre400() {
        StringBuilder tooMany = new StringBuilder("{\"event_ids\":[");
        for (int i = 0; i < 1001; i++) {
            tooMany.append(i == 0 ? "" : ",").append('"').append(UUID.randomUUID()).append('"');
        }
        tooMany.append("]}");
        for (String body : List.of("{}", "{\"event_ids\":\"x\"}", "{\"event_ids\":[\"not-a-uuid\"]}", "{\"ids\":[]}", tooMany.toString())) {
            assertThat(api.send("POST", "/v1/events/ack", key, body, Map.of()).status()).as(body.length() > 60 ? "1001 ids" : body)
                    .isEqualTo(400);
        }
    }

    @Test
    void aDeletedEventIsGone() {
        String id = ingest(key);
        assertThat(api.send("DELETE", "/v1/events/" + id, key, null, Map.of()).status()).isEqualTo(204);
        assertThat(api.send("GET", "/v1/events/" + id, key, null, Map.of()).status()).isEqualTo(404);
        assertThat(api.send("POST", "/v1/events/" + id + "/ack", key, null, Map.of()).status()).isEqualTo(404);
        assertThat(api.send("GET", "/v1/events/" + id + "/attempts", key, null, Map.of()).status()).isEqualTo(404);
        assertThat(api.send("DELETE", "/v1/events/" + id, key, null, Map.of()).status()).isEqualTo(404);
    }

    @Test
    void anotherOrganizationsEventIs404Everywhere() {
        String other = api.newUnlimitedOrganizationKey("outsider");
        String id = ingest(key);
        for (String[] call : new String[][] {{"GET", "/v1/events/" + id}, {"GET", "/v1/events/" + id + "/attempts"},
                {"POST", "/v1/events/" + id + "/ack"}, {"POST", "/v1/events/" + id + "/replay"}, {"DELETE", "/v1/events/" + id}}) {
            Answer answer = api.send(call[0], call[1], other, null, Map.of());
            assertThat(answer.status()).as(call[0] + " " + call[1]).isEqualTo(404);
            assertThat(answer.json().get("error").get("code").stringValue()).isEqualTo("NOT_FOUND");
        }
        assertThat(api.send("GET", "/v1/inbox", other, null, Map.of()).text()).doesNotContain(id);
        assertThat(api.send("GET", "/v1/events/" + id, key, null, Map.of()).json().get("status").stringValue()).isEqualTo("pending");
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.stringValue()));
        return values;
    }

    private static String ingest(String apiKey) {
        Answer answer = api.send("POST", "/v1/events", apiKey, "{\"event_type\":\"ack.test\",\"payload\":{}}", Map.of());
        assertThat(answer.status()).isEqualTo(201);
        return answer.json().get("event_id").stringValue();
    }
}
