package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.triggers.api.RunningApi.Answer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Event types (API.md "Event types (organization)", issue 19): their management, the checks on a
 * schema (no references outside itself, nothing ever fetched), payloads checked against it at
 * ingest (single and batch, one detail per violation), and a change reaching another replica
 * within 5 seconds.
 */
class EventTypesTest {

    private static final String TIME = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z";

    /** An order: five properties, a required list, a pattern and a minimum. */
    private static final String ORDER_SCHEMA = """
            {"type": "object",
             "required": ["id", "amount", "currency"],
             "properties": {
               "id": {"type": "string", "minLength": 1},
               "amount": {"type": "integer", "minimum": 1},
               "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
               "note": {"type": "string", "maxLength": 20},
               "items": {"type": "array", "items": {"$ref": "#/$defs/item"}}
             },
             "$defs": {"item": {"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}}}}
            """;

    private static RunningApi api;
    /** A second replica on the same database and Redis; it allows 3 event types per organization. */
    private static RunningApi replica;

    @BeforeAll
    static void start() {
        api = RunningApi.start(Map.of());
        replica = RunningApi.alongside(api, Map.of("triggers.event-types.max-per-organization", "3"));
    }

    @AfterAll
    static void stop() {
        replica.close();
        api.close();
    }

    @Test
    void eventTypesCanBeCreatedReadReplacedListedAndDeleted() {
        String key = api.newUnlimitedOrganizationKey("event types crud");
        Answer created = put(api, key, "order.created", "{\"description\":\"An order was placed\",\"schema\":" + ORDER_SCHEMA + "}");
        assertThat(created.status()).as(created.text()).isEqualTo(200);
        JsonNode type = created.json();
        assertThat(type.get("name").stringValue()).isEqualTo("order.created");
        assertThat(type.get("description").stringValue()).isEqualTo("An order was placed");
        assertThat(type.get("schema")).isEqualTo(RunningApi.JSON.readTree(ORDER_SCHEMA));
        assertThat(type.get("deprecated").booleanValue()).isFalse();
        assertThat(type.get("created_at").stringValue()).matches(TIME);
        assertThat(type.get("updated_at").stringValue()).isEqualTo(type.get("created_at").stringValue());

        JsonNode read = api.send("GET", "/v1/event-types/order.created", key, null, Map.of()).json();
        assertThat(read).isEqualTo(type);

        // PUT replaces the whole type: what is left out takes its default.
        Answer replaced = put(api, key, "order.created", "{\"deprecated\":true}");
        assertThat(replaced.status()).as(replaced.text()).isEqualTo(200);
        assertThat(replaced.json().get("deprecated").booleanValue()).isTrue();
        assertThat(replaced.json().get("description").isNull()).isTrue();
        assertThat(replaced.json().get("schema").isNull()).isTrue();
        assertThat(replaced.json().get("created_at").stringValue()).isEqualTo(type.get("created_at").stringValue());

        assertThat(put(api, key, "a:b_c-9", "{\"schema\":true}").status()).isEqualTo(200);
        JsonNode list = api.send("GET", "/v1/event-types", key, null, Map.of()).json().get("event_types");
        assertThat(list).hasSize(2);
        assertThat(list.get(0).get("name").stringValue()).isEqualTo("a:b_c-9");
        assertThat(list.get(0).get("schema").booleanValue()).isTrue();
        assertThat(list.get(1).get("name").stringValue()).isEqualTo("order.created");

        assertThat(api.send("DELETE", "/v1/event-types/order.created", key, null, Map.of()).status()).isEqualTo(204);
        assertThat(api.send("GET", "/v1/event-types/order.created", key, null, Map.of()).status()).isEqualTo(404);
        Answer again = api.send("DELETE", "/v1/event-types/order.created", key, null, Map.of());
        assertThat(again.status()).isEqualTo(404);
        assertThat(again.json().get("error").get("code").stringValue()).isEqualTo("NOT_FOUND");
        assertThat(api.send("GET", "/v1/event-types/never.made", key, null, Map.of()).status()).isEqualTo(404);
        assertThat(api.send("GET", "/v1/event-types", key, null, Map.of()).json().get("event_types")).hasSize(1);
        assertThat(api.send("GET", "/v1/event-types", null, null, Map.of()).status()).isEqualTo(401);
    }

    @Test
    void anotherOrganizationsTypesAreInvisibleAndDoNotApply() {
        String mine = api.newUnlimitedOrganizationKey("types mine");
        String theirs = api.newUnlimitedOrganizationKey("types theirs");
        assertThat(put(api, theirs, "order.created", "{\"schema\":" + ORDER_SCHEMA + "}").status()).isEqualTo(200);

        assertThat(api.send("GET", "/v1/event-types/order.created", mine, null, Map.of()).status()).isEqualTo(404);
        assertThat(api.send("GET", "/v1/event-types", mine, null, Map.of()).json().get("event_types")).isEmpty();
        assertThat(api.send("DELETE", "/v1/event-types/order.created", mine, null, Map.of()).status()).isEqualTo(404);
        // Their schema is not mine: my events of that type stay free-form.
        assertThat(ingest(api, mine, "order.created", "{\"anything\":true}").status()).isEqualTo(201);
        assertThat(ingest(api, theirs, "order.created", "{\"anything\":true}").status()).isEqualTo(400);
        // And mine (made afterwards) does not touch theirs.
        assertThat(put(api, mine, "order.created", "{\"schema\":false}").status()).isEqualTo(200);
        assertThat(api.send("GET", "/v1/event-types/order.created", theirs, null, Map.of()).json().get("schema"))
                .isEqualTo(RunningApi.JSON.readTree(ORDER_SCHEMA));
    }

    @Test
    void badNamesAndBodiesAreRefused() {
        String key = api.newUnlimitedOrganizationKey("types refused");
        assertRefused(put(api, key, "bad*name", "{}"), "name", "invalid_format");
        assertRefused(put(api, key, "x".repeat(129), "{}"), "name", "invalid_format");
        assertRefused(put(api, key, "triggers.endpoint.disabled", "{}"), "name", "reserved");
        assertRefused(put(api, key, "TRIGGERS.Mine", "{}"), "name", "reserved");
        assertRefused(put(api, key, "ok.name", "{\"colour\":\"red\"}"), "colour", "unknown_field");
        assertRefused(put(api, key, "ok.name", "{\"deprecated\":\"yes\"}"), "deprecated", "invalid_type");
        assertRefused(put(api, key, "ok.name", "{\"description\":\"" + "d".repeat(1025) + "\"}"), "description", "too_long");
        Answer tooLarge = put(api, key, "ok.name", "{\"schema\":{\"description\":\"" + "d".repeat(64 * 1024) + "\"}}");
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(tooLarge.json().get("error").get("code").stringValue()).isEqualTo("PAYLOAD_TOO_LARGE");
        assertThat(api.send("GET", "/v1/event-types", key, null, Map.of()).json().get("event_types")).isEmpty();
    }

    @Test
    void aSchemaNearTheSizeLimitIsAcceptedAndApplied() {
        String key = api.newUnlimitedOrganizationKey("types large");
        StringBuilder schema = new StringBuilder("{\"type\":\"object\",\"properties\":{");
        for (int i = 0; schema.length() < 60 * 1024; i++) {
            schema.append(i == 0 ? "" : ",").append("\"p").append(i).append("\":{\"type\":\"string\",\"maxLength\":10}");
        }
        schema.append("}}");
        Answer stored = put(api, key, "large.schema", "{\"schema\":" + schema + "}");
        assertThat(stored.status()).as(stored.text()).isEqualTo(200);
        assertThat(ingest(api, key, "large.schema", "{\"p0\":\"short\",\"p1500\":\"short\"}").status()).isEqualTo(201);
        assertThat(details(ingest(api, key, "large.schema", "{\"p1500\":\"much too long\"}"))).containsExactly("/p1500 maxLength");
    }

    @Test
    void schemasThatAreNotValidJsonSchemaAreRefused() {
        String key = api.newUnlimitedOrganizationKey("types invalid");
        Map<String, String> refused = Map.ofEntries(
                Map.entry("5", "invalid_type"),
                Map.entry("\"object\"", "invalid_type"),
                Map.entry("[]", "invalid_type"),
                Map.entry("{\"type\":12}", "invalid_schema"),
                Map.entry("{\"type\":\"whole number\"}", "invalid_schema"),
                Map.entry("{\"minimum\":\"1\"}", "invalid_schema"),
                Map.entry("{\"required\":\"id\"}", "invalid_schema"),
                Map.entry("{\"properties\":{\"a\":{\"$ref\":\"#/$defs/missing\"}}}", "invalid_schema"),
                Map.entry("{\"pattern\":\"([a-z\"}", "invalid_schema"),
                // Refers to itself without looking deeper into the payload: it could never finish.
                Map.entry("{\"$ref\":\"#\"}", "invalid_schema"),
                Map.entry("{\"anyOf\":[{\"$ref\":\"#/$defs/a\"}],\"$defs\":{\"a\":{\"allOf\":[{\"$ref\":\"#\"}]}}}", "invalid_schema"),
                Map.entry("{\"$schema\":\"http://json-schema.org/draft-07/schema#\"}", "unsupported_dialect"));
        refused.forEach((schema, issue) -> {
            Answer answer = put(api, key, "invalid.schema", "{\"schema\":" + schema + "}");
            assertThat(answer.status()).as(schema + ": " + answer.text()).isEqualTo(400);
            assertThat(answer.json().get("error").get("details").get(0).get("field").stringValue()).as(schema).isEqualTo("schema");
            assertThat(answer.json().get("error").get("details").get(0).get("issue").stringValue()).as(schema).isEqualTo(issue);
        });
        assertThat(api.send("GET", "/v1/event-types/invalid.schema", key, null, Map.of()).status()).isEqualTo(404);
        // The dialect named as it is, with or without the empty fragment, and null (no schema) are fine.
        assertThat(put(api, key, "dialect.named", "{\"schema\":{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\"}}").status())
                .isEqualTo(200);
        assertThat(put(api, key, "dialect.named", "{\"schema\":{\"$schema\":\"https://json-schema.org/draft/2020-12/schema#\"}}").status())
                .isEqualTo(200);
        assertThat(put(api, key, "no.schema", "{\"schema\":null}").status()).isEqualTo(200);
    }

    @Test
    void aSchemaThatRefersElsewhereIsRefusedAndNothingIsFetched() throws Exception {
        String key = api.newUnlimitedOrganizationKey("types remote");
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String base = "http://127.0.0.1:" + server.getLocalPort();
            Map<String, String> refused = Map.of(
                    "{\"$ref\":\"" + base + "/x\"}", "external_reference",
                    "{\"properties\":{\"a\":{\"$dynamicRef\":\"" + base + "/y#meta\"}}}", "external_reference",
                    "{\"$id\":\"" + base + "/root\",\"$ref\":\"other.json\"}", "external_reference",
                    "{\"$defs\":{\"a\":{\"$ref\":\"\"}}}", "external_reference",
                    "{\"$schema\":\"" + base + "/meta\"}", "unsupported_dialect",
                    // Passes the check on references (#…), but resolves against a remote $id: the validator may load nothing.
                    "{\"$id\":\"" + base + "/a\",\"$defs\":{\"x\":{\"$id\":\"b\",\"$ref\":\"#/foo\"}},\"$ref\":\"#/$defs/x\"}", "invalid_schema");
            refused.forEach((schema, issue) -> {
                Answer answer = put(api, key, "remote.ref", "{\"schema\":" + schema + "}");
                assertThat(answer.status()).as(schema + ": " + answer.text()).isEqualTo(400);
                assertThat(answer.json().get("error").get("details").get(0).get("issue").stringValue()).as(schema).isEqualTo(issue);
            });
            // A remote $id with references inside the schema is fine, and still fetches nothing.
            Answer local = put(api, key, "remote.id", "{\"schema\":{\"$id\":\"" + base + "/root\",\"$ref\":\"#/$defs/a\","
                    + "\"$defs\":{\"a\":{\"type\":\"string\"}}}}");
            assertThat(local.status()).as(local.text()).isEqualTo(200);
            assertThat(ingest(api, key, "remote.id", "\"text\"").status()).isEqualTo(201);
            assertThat(ingest(api, key, "remote.id", "5").status()).isEqualTo(400);

            // Nothing ever connected: a connection would be waiting in the backlog.
            server.setSoTimeout(300);
            assertThatThrownBy(server::accept).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void referencesToTheSchemasOwnPartsWork() {
        String key = api.newUnlimitedOrganizationKey("types local refs");
        assertThat(put(api, key, "order.created", "{\"schema\":" + ORDER_SCHEMA + "}").status()).isEqualTo(200);
        assertThat(ingest(api, key, "order.created",
                "{\"id\":\"o-1\",\"amount\":5,\"currency\":\"EUR\",\"items\":[{\"sku\":\"a\"},{\"sku\":\"b\"}]}").status()).isEqualTo(201);
        Answer invalid = ingest(api, key, "order.created", "{\"id\":\"o-1\",\"amount\":5,\"currency\":\"EUR\",\"items\":[{\"sku\":\"a\"},{}]}");
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(details(invalid)).containsExactly("/items/1/sku required");
        // A recursive schema that goes down the payload is fine, as deep as a payload may nest.
        String tree = "{\"type\":\"object\",\"properties\":{\"children\":{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}},"
                + "\"name\":{\"type\":\"string\"}}}";
        assertThat(put(api, key, "tree", "{\"schema\":" + tree + "}").status()).isEqualTo(200);
        String deep = "{\"children\":[".repeat(30) + "{\"name\":7}" + "]}".repeat(30);
        Answer deepAnswer = ingest(api, key, "tree", deep);
        assertThat(deepAnswer.status()).isEqualTo(400);
        assertThat(details(deepAnswer)).containsExactly("/children/0".repeat(30) + "/name type");
    }

    @Test
    void aPayloadIsAnsweredWithOneDetailPerViolation() throws Exception {
        String key = api.newUnlimitedOrganizationKey("types violations");
        assertThat(put(api, key, "order.created", "{\"schema\":" + ORDER_SCHEMA + "}").status()).isEqualTo(200);
        String organization = api.send("GET", "/v1/me", key, null, Map.of()).json().get("organization_id").stringValue();

        Answer answer = ingest(api, key, "order.created", "{\"amount\":\"7\",\"currency\":\"euro\",\"note\":\"short\"}");

        assertThat(answer.status()).isEqualTo(400);
        JsonNode error = answer.json().get("error");
        assertThat(error.get("code").stringValue()).isEqualTo("VALIDATION_ERROR");
        assertThat(error.get("message").stringValue()).contains("order.created");
        assertThat(details(answer)).containsExactlyInAnyOrder("/id required", "/amount type", "/currency pattern");
        error.get("details").forEach(detail -> assertThat(detail.get("message").stringValue()).isNotBlank());
        assertThat(api.queryText("SELECT count(*) FROM events WHERE organization_id = ?::uuid", organization)).isEqualTo("0");

        assertThat(details(ingest(api, key, "order.created", "[1]"))).containsExactly(" type");
        assertThat(details(ingest(api, key, "order.created", "{\"id\":\"\",\"amount\":0,\"currency\":\"EUR\"}")))
                .containsExactlyInAnyOrder("/id minLength", "/amount minimum");
        // Property names are JSON pointer tokens: / and ~ escaped.
        assertThat(put(api, key, "odd.names", "{\"schema\":{\"required\":[\"a/b\",\"c~d\"],\"additionalProperties\":false,"
                + "\"properties\":{\"a/b\":true,\"c~d\":true}}}").status()).isEqualTo(200);
        assertThat(details(ingest(api, key, "odd.names", "{\"x/y\":1}"))).containsExactlyInAnyOrder("/a~1b required", "/c~0d required",
                "/x~1y additionalProperties");
        // A valid payload is stored as usual; other types stay free-form.
        assertThat(ingest(api, key, "order.created", "{\"id\":\"o-1\",\"amount\":7,\"currency\":\"EUR\"}").status()).isEqualTo(201);
        assertThat(ingest(api, key, "order.paid", "[\"anything\"]").status()).isEqualTo(201);
        assertThat(api.queryText("SELECT count(*) FROM events WHERE organization_id = ?::uuid", organization)).isEqualTo("2");
    }

    @Test
    void aPatternThatBacktracksWithoutEndCountsAsNotMatching() {
        String key = api.newUnlimitedOrganizationKey("types backtracking");
        assertThat(put(api, key, "greedy", "{\"schema\":{\"properties\":{\"s\":{\"type\":\"string\",\"pattern\":\"^(a+)+$\"}}}}").status())
                .isEqualTo(200);
        assertThat(ingest(api, key, "greedy", "{\"s\":\"" + "a".repeat(5000) + "\"}").status()).isEqualTo(201);
        // Unbounded, this match would take longer than the universe has left, on an event loop.
        long start = System.nanoTime();
        assertThat(details(ingest(api, key, "greedy", "{\"s\":\"" + "a".repeat(5000) + "!\"}"))).containsExactly("/s pattern");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void batchItemsAreCheckedOneByOne() {
        String key = api.newUnlimitedOrganizationKey("types batch");
        assertThat(put(api, key, "order.created", "{\"schema\":" + ORDER_SCHEMA + "}").status()).isEqualTo(200);
        String body = """
                {"events": [
                  {"event_type": "order.created", "payload": {"id": "o-1", "amount": 3, "currency": "EUR"}},
                  {"event_type": "order.created", "payload": {"id": "o-2", "amount": -1, "currency": "EUR", "note": 5}},
                  {"event_type": "order.paid", "payload": {"amount": "free-form"}}
                ]}
                """;

        Answer answer = api.send("POST", "/v1/events/batch", key, body, Map.of());

        assertThat(answer.status()).isEqualTo(200);
        JsonNode results = answer.json().get("results");
        assertThat(results.get(0).get("status").intValue()).isEqualTo(201);
        assertThat(results.get(1).get("status").intValue()).isEqualTo(400);
        assertThat(results.get(2).get("status").intValue()).isEqualTo(201);
        JsonNode error = results.get(1).get("error");
        assertThat(error.get("code").stringValue()).isEqualTo("VALIDATION_ERROR");
        List<String> details = new ArrayList<>();
        error.get("details").forEach(detail -> details.add(detail.get("field").stringValue() + " " + detail.get("issue").stringValue()));
        assertThat(details).containsExactlyInAnyOrder("/amount minimum", "/note type");
    }

    @Test
    void typesWithoutASchemaAndDeprecatedTypesAcceptAnything() {
        String key = api.newUnlimitedOrganizationKey("types free-form");
        assertThat(put(api, key, "documented.only", "{\"description\":\"no schema\",\"deprecated\":true}").status()).isEqualTo(200);
        assertThat(put(api, key, "old.type", "{\"schema\":{\"type\":\"object\"},\"deprecated\":true}").status()).isEqualTo(200);
        assertThat(ingest(api, key, "documented.only", "[1,2,3]").status()).isEqualTo(201);
        assertThat(ingest(api, key, "never.declared", "\"text\"").status()).isEqualTo(201);
        // Deprecated is shown, not enforced: the schema still is.
        assertThat(ingest(api, key, "old.type", "{}").status()).isEqualTo(201);
        assertThat(ingest(api, key, "old.type", "1").status()).isEqualTo(400);
        assertThat(api.send("GET", "/v1/event-types/old.type", key, null, Map.of()).json().get("deprecated").booleanValue()).isTrue();
    }

    @Test
    void aReplacedOrDeletedSchemaAppliesAtOnceOnTheSameReplica() {
        String key = api.newUnlimitedOrganizationKey("types changes");
        assertThat(put(api, key, "reading", "{\"schema\":{\"type\":\"object\",\"required\":[\"celsius\"]}}").status()).isEqualTo(200);
        assertThat(ingest(api, key, "reading", "{\"fahrenheit\":50}").status()).isEqualTo(400);
        assertThat(ingest(api, key, "reading", "{\"celsius\":10}").status()).isEqualTo(201);

        assertThat(put(api, key, "reading", "{\"schema\":{\"type\":\"object\",\"required\":[\"fahrenheit\"]}}").status()).isEqualTo(200);
        assertThat(ingest(api, key, "reading", "{\"fahrenheit\":50}").status()).isEqualTo(201);
        assertThat(details(ingest(api, key, "reading", "{\"celsius\":10}"))).containsExactly("/fahrenheit required");

        // Kept, without its schema: free-form again.
        assertThat(put(api, key, "reading", "{\"description\":\"any reading\"}").status()).isEqualTo(200);
        assertThat(ingest(api, key, "reading", "{\"celsius\":10}").status()).isEqualTo(201);

        assertThat(put(api, key, "reading", "{\"schema\":{\"type\":\"string\"}}").status()).isEqualTo(200);
        assertThat(ingest(api, key, "reading", "{\"celsius\":10}").status()).isEqualTo(400);
        assertThat(api.send("DELETE", "/v1/event-types/reading", key, null, Map.of()).status()).isEqualTo(204);
        assertThat(ingest(api, key, "reading", "{\"celsius\":10}").status()).isEqualTo(201);
    }

    @Test
    void anotherReplicaAppliesAChangeWithinFiveSeconds() {
        String key = api.newUnlimitedOrganizationKey("types replicas");
        // The replica reads the organization's schemas (none) and keeps what it read.
        assertThat(ingest(replica, key, "meter.read", "{\"kwh\":\"lots\"}").status()).isEqualTo(201);

        assertThat(put(api, key, "meter.read", "{\"schema\":{\"type\":\"object\",\"properties\":{\"kwh\":{\"type\":\"number\"}}}}").status())
                .isEqualTo(200);
        awaitOnReplica("a new schema", () -> ingest(replica, key, "meter.read", "{\"kwh\":\"lots\"}").status() == 400);
        assertThat(ingest(replica, key, "meter.read", "{\"kwh\":12.5}").status()).isEqualTo(201);

        assertThat(put(api, key, "meter.read", "{\"schema\":{\"type\":\"object\",\"properties\":{\"kwh\":{\"type\":\"string\"}}}}").status())
                .isEqualTo(200);
        awaitOnReplica("a changed schema", () -> ingest(replica, key, "meter.read", "{\"kwh\":12.5}").status() == 400);
        assertThat(ingest(replica, key, "meter.read", "{\"kwh\":\"lots\"}").status()).isEqualTo(201);

        assertThat(api.send("DELETE", "/v1/event-types/meter.read", key, null, Map.of()).status()).isEqualTo(204);
        awaitOnReplica("a deleted schema", () -> ingest(replica, key, "meter.read", "{\"kwh\":12.5}").status() == 201);
    }

    @Test
    void anOrganizationHasAtMostItsLimitOfEventTypes() {
        // The replica allows 3 per organization.
        String key = replica.newUnlimitedOrganizationKey("types limit");
        for (String name : List.of("one", "two", "three")) {
            assertThat(put(replica, key, name, "{}").status()).isEqualTo(200);
        }
        Answer fourth = put(replica, key, "four", "{}");
        assertThat(fourth.status()).isEqualTo(409);
        assertThat(fourth.json().get("error").get("code").stringValue()).isEqualTo("CONFLICT");
        // Replacing one is not one more.
        assertThat(put(replica, key, "two", "{\"deprecated\":true}").status()).isEqualTo(200);
        assertThat(replica.send("DELETE", "/v1/event-types/one", key, null, Map.of()).status()).isEqualTo(204);
        assertThat(put(replica, key, "four", "{}").status()).isEqualTo(200);
    }

    private static void awaitOnReplica(String what, java.util.concurrent.Callable<Boolean> applied) {
        long start = System.nanoTime();
        await(what).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(applied);
        System.out.printf("%s applied by the other replica after %d ms%n", what, (System.nanoTime() - start) / 1_000_000);
    }

    private static Answer put(RunningApi on, String key, String name, String body) {
        return on.send("PUT", "/v1/event-types/" + name, key, body, Map.of());
    }

    private static Answer ingest(RunningApi on, String key, String type, String payload) {
        return on.send("POST", "/v1/events", key, "{\"event_type\":\"" + type + "\",\"payload\":" + payload + "}", Map.of());
    }

    /** Each detail of an error answer as "field issue". */
    private static List<String> details(Answer answer) {
        assertThat(answer.status()).as(answer.text()).isEqualTo(400);
        List<String> found = new ArrayList<>();
        answer.json().get("error").get("details").forEach(detail -> found.add(detail.get("field").stringValue() + " "
                + detail.get("issue").stringValue()));
        return found;
    }

    private static void assertRefused(Answer answer, String field, String issue) {
        assertThat(answer.status()).as(answer.text()).isEqualTo(400);
        JsonNode error = answer.json().get("error");
        assertThat(error.get("code").stringValue()).isEqualTo("VALIDATION_ERROR");
        assertThat(error.get("details").get(0).get("field").stringValue()).isEqualTo(field);
        assertThat(error.get("details").get(0).get("issue").stringValue()).isEqualTo(issue);
    }
}
