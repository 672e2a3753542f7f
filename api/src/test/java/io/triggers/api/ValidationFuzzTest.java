package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RunningApi.Answer;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Hundreds of generated malformed requests against ingestion: whatever arrives, the answer is a
 * 2xx or a 4xx with the contract's error body, never a 500 and never a stack trace.
 */
class ValidationFuzzTest {

    // The fuzzed bodies share one dedup_id, so a valid body after another is rightly a 422.
    private static final Set<String> CODES = Set.of("VALIDATION_ERROR", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE",
            "IDEMPOTENCY_KEY_REUSED");
    private static final String[] CONTENT_TYPES = {"application/json", "application/json; charset=utf-8",
            "application/cloudevents+json", "text/plain", "application/xml", "application/x-www-form-urlencoded", null};
    private static final String[] ODD_VALUES = {"null", "true", "0", "-0", "1e400", "-1e999999", "1e-999999", "12345678901234567890123",
            "\"\"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00x\"", "\"caf\\u00e9\"", "[]", "{}", "[null]", "{\"\\u0000\":1}",
            "\"" + "x".repeat(129) + "\"", "\"a b\"", "\"\\n\"", "[[[[[[[[[[1]]]]]]]]]]", "{\"priority\":\"urgent\"}",
            "{\"priority\":7}", "\"\\t\"", "NaN", "Infinity", "'single'", "0x10", "01", ".5", "1.", "+1", "\"\\x41\""};

    private static RunningApi api;
    private static String key;

    @BeforeAll
    static void start() {
        api = RunningApi.start(Map.of());
        key = api.newUnlimitedOrganizationKey("fuzz");
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void generatedMalformedEventsNeverCauseA500() {
        Random random = new Random(20261122L);
        Map<Integer, Integer> statuses = new TreeMap<>();
        List<byte[]> bodies = new ArrayList<>();
        String valid = "{\"event_type\":\"order.created\",\"source\":\"shop\",\"payload\":{\"order_id\":42,\"items\":[1,2]},"
                + "\"metadata\":{\"priority\":\"high\"},\"dedup_id\":\"d-1\"}";
        for (int i = 0; i < 80; i++) {
            byte[] bytes = new byte[random.nextInt(200)];
            random.nextBytes(bytes);
            bodies.add(bytes);
        }
        for (int i = 0; i < 80; i++) {
            bodies.add(valid.substring(0, random.nextInt(valid.length())).getBytes(StandardCharsets.UTF_8));
        }
        String[] fields = {"event_type", "source", "payload", "metadata", "dedup_id"};
        for (int i = 0; i < 200; i++) {
            String field = fields[random.nextInt(fields.length)];
            String value = ODD_VALUES[random.nextInt(ODD_VALUES.length)];
            String body = valid.replaceFirst("\"" + field + "\":(\"[^\"]*\"|\\{[^}]*\\}(\\})?|\\d+)", "\"" + field + "\":" + value);
            bodies.add(body.getBytes(StandardCharsets.UTF_8));
        }
        bodies.add("[1,2,3]".getBytes(StandardCharsets.UTF_8));
        bodies.add("\"just a string\"".getBytes(StandardCharsets.UTF_8));
        bodies.add("{\"event_type\":\"a\",\"payload\":1} trailing".getBytes(StandardCharsets.UTF_8));
        bodies.add("{\"event_type\":\"a\",\"event_type\":\"b\",\"payload\":1}".getBytes(StandardCharsets.UTF_8));
        bodies.add(("{\"event_type\":\"deep\",\"payload\":" + "[".repeat(600) + "]".repeat(600) + "}").getBytes(StandardCharsets.UTF_8));
        bodies.add(new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'});
        bodies.add(new byte[0]);

        for (byte[] body : bodies) {
            String contentType = random.nextInt(6) == 0 ? CONTENT_TYPES[random.nextInt(CONTENT_TYPES.length)] : "application/json";
            Answer answer = api.sendRaw("/v1/events", key, contentType, HttpRequest.BodyPublishers.ofByteArray(body));
            statuses.merge(answer.status(), 1, Integer::sum);
            assertSane(answer, new String(body, StandardCharsets.UTF_8));
        }
        System.out.println("fuzzed " + bodies.size() + " event bodies, answers by status: " + statuses);
        assertThat(statuses.keySet()).allMatch(status -> status < 500);
        assertThat(statuses.getOrDefault(400, 0)).isGreaterThan(bodies.size() / 2);
    }

    @Test
    void generatedMalformedBatchesNeverCauseA500() {
        Random random = new Random(7L);
        Map<Integer, Integer> itemStatuses = new TreeMap<>();
        for (int i = 0; i < 60; i++) {
            StringBuilder body = new StringBuilder("{\"events\":[");
            int items = 1 + random.nextInt(8);
            for (int item = 0; item < items; item++) {
                body.append(item == 0 ? "" : ",");
                String value = ODD_VALUES[random.nextInt(ODD_VALUES.length)];
                switch (random.nextInt(4)) {
                    case 0 -> body.append("{\"event_type\":\"t\",\"payload\":").append(value).append('}');
                    case 1 -> body.append("{\"event_type\":").append(value).append(",\"payload\":1}");
                    case 2 -> body.append("{\"event_type\":\"t\",\"payload\":1,\"idempotency_key\":").append(value).append('}');
                    default -> body.append(value);
                }
            }
            body.append("]}");
            Answer answer = api.send("POST", "/v1/events/batch", key, body.toString(), Map.of());
            assertSane(answer, body.toString());
            if (answer.status() == 200) {
                answer.json().get("results").forEach(result -> itemStatuses.merge(result.get("status").intValue(), 1, Integer::sum));
            }
        }
        System.out.println("fuzzed batch items, results by status: " + itemStatuses);
        assertThat(itemStatuses.keySet()).allMatch(status -> status < 500);
    }

    @Test
    void aChunkedBodyOverTheLimitIs413() {
        byte[] big = ("{\"event_type\":\"big\",\"payload\":\"" + "z".repeat(400 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        // ofInputStream sends no Content-Length (chunked), so the limit is enforced while reading.
        Answer answer = api.sendRaw("/v1/events", key, "application/json",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)));
        assertThat(answer.status()).isEqualTo(413);
        assertThat(answer.json().get("error").get("code").stringValue()).isEqualTo("PAYLOAD_TOO_LARGE");
    }

    @Test
    void unstorableValuesAre400NotAFailedInsert() {
        for (String payload : new String[] {"\"\\u0000\"", "{\"a\\u0000\":1}", "\"\\ud800\"", "1e999999", "[1e-99999]"}) {
            Answer answer = api.send("POST", "/v1/events", key, "{\"event_type\":\"x\",\"payload\":" + payload + "}", Map.of());
            assertThat(answer.status()).as(payload).isEqualTo(400);
            assertThat(answer.json().get("error").get("details").get(0).get("issue").stringValue()).isEqualTo("unsupported_value");
        }
        Answer source = api.send("POST", "/v1/events", key, "{\"event_type\":\"x\",\"source\":\"a\\u0000b\",\"payload\":1}", Map.of());
        assertThat(source.status()).isEqualTo(400);
        Answer big = api.send("POST", "/v1/events", key, "{\"event_type\":\"x\",\"payload\":1e400}", Map.of());
        assertThat(big.status()).as("large but storable").isEqualTo(201);
    }

    private static void assertSane(Answer answer, String sent) {
        assertThat(answer.status()).as("status for %s", abbreviate(sent)).isLessThan(500);
        assertThat(answer.text()).doesNotContain("Exception", "\tat ", "at java.", "at io.", "Caused by");
        assertThat(answer.header("X-Request-ID")).isNotBlank();
        if (answer.status() >= 400) {
            JsonNode error = answer.json().get("error");
            assertThat(error).as("error body for %s", abbreviate(sent)).isNotNull();
            assertThat(error.get("code").stringValue()).isIn(CODES);
            assertThat(error.get("request_id").stringValue()).isEqualTo(answer.header("X-Request-ID"));
            assertThat(error.get("details").isArray()).isTrue();
        }
    }

    private static String abbreviate(String text) {
        return text.length() > 120 ? text.substring(0, 120) + "…" : text;
    }
}
