package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.triggers.api.RunningApi.Answer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * An endpoint's own delivery limits, {@code rate_limit_per_second} (1..10000, null: none) and
 * {@code max_in_flight} (1..1000, default 16): taken on create and PATCH, shown on every read.
 */
class EndpointDeliveryLimitsTest {

    /** Each with the field it must be refused under, as a JSON member. */
    private static final List<String[]> INVALID = List.of(
            new String[] {"rate_limit_per_second", "0"},
            new String[] {"rate_limit_per_second", "-1"},
            new String[] {"rate_limit_per_second", "10001"},
            new String[] {"rate_limit_per_second", "1.5"},
            new String[] {"rate_limit_per_second", "5.0"},
            new String[] {"rate_limit_per_second", "1e3"},
            new String[] {"rate_limit_per_second", "\"5\""},
            new String[] {"rate_limit_per_second", "true"},
            new String[] {"rate_limit_per_second", "[5]"},
            new String[] {"rate_limit_per_second", "4294967301"},
            new String[] {"max_in_flight", "0"},
            new String[] {"max_in_flight", "-1"},
            new String[] {"max_in_flight", "1001"},
            new String[] {"max_in_flight", "1.5"},
            new String[] {"max_in_flight", "\"5\""},
            new String[] {"max_in_flight", "{}"});

    private static RunningApi api;
    private static String key;

    @BeforeAll
    static void start() {
        // Private targets allowed: loopback URLs need no DNS.
        api = RunningApi.start(Map.of("triggers.delivery.allow-private-targets", "true"));
        key = api.newUnlimitedOrganizationKey("delivery limits");
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void bothOptionsAreTakenOnCreateAndShownOnEveryRead() throws SQLException {
        Answer created = create("{\"url\":\"http://127.0.0.1:9/hook\",\"rate_limit_per_second\":50,\"max_in_flight\":4}");
        assertThat(created.status()).isEqualTo(201);
        assertLimits(created.json(), 50, 4);
        String id = created.json().get("id").stringValue();

        assertLimits(get(id), 50, 4);
        assertLimits(listed(id), 50, 4);
        assertThat(api.queryText("SELECT rate_limit_per_second || '/' || max_in_flight FROM endpoints WHERE id = ?",
                UUID.fromString(id))).isEqualTo("50/4");
    }

    @Test
    void theBoundsThemselvesAreAccepted() {
        assertLimits(create("{\"url\":\"http://127.0.0.1:9/low\",\"rate_limit_per_second\":1,\"max_in_flight\":1}").json(), 1, 1);
        JsonNode high = create("{\"url\":\"http://127.0.0.1:9/high\",\"rate_limit_per_second\":10000,\"max_in_flight\":1000}").json();
        assertLimits(high, 10000, 1000);
        assertLimits(get(high.get("id").stringValue()), 10000, 1000);
    }

    @Test
    void withoutThemThereIsNoRateLimitAndSixteenInFlight() {
        JsonNode created = create("{\"url\":\"http://127.0.0.1:9/defaults\"}").json();
        assertLimits(created, null, 16);
        String id = created.get("id").stringValue();
        assertLimits(get(id), null, 16);
        assertLimits(listed(id), null, 16);

        JsonNode nulls = create("{\"url\":\"http://127.0.0.1:9/nulls\",\"rate_limit_per_second\":null,\"max_in_flight\":null}").json();
        assertLimits(nulls, null, 16);
    }

    @Test
    void patchChangesEachOnItsOwnAndNullClearsTheRate() {
        String id = create("{\"url\":\"http://127.0.0.1:9/patched\",\"rate_limit_per_second\":100,\"max_in_flight\":8}")
                .json().get("id").stringValue();

        assertLimits(patch(id, "{\"rate_limit_per_second\":5}").json(), 5, 8);
        assertLimits(patch(id, "{\"max_in_flight\":1000}").json(), 5, 1000);
        // Left out: unchanged.
        JsonNode other = patch(id, "{\"description\":\"other fields only\"}").json();
        assertThat(other.get("description").stringValue()).isEqualTo("other fields only");
        assertLimits(other, 5, 1000);
        assertLimits(get(id), 5, 1000);

        assertLimits(patch(id, "{\"rate_limit_per_second\":null}").json(), null, 1000);
        assertLimits(get(id), null, 1000);
        assertLimits(listed(id), null, 1000);

        // null puts the default back.
        assertLimits(patch(id, "{\"max_in_flight\":null}").json(), null, 16);
        assertLimits(patch(id, "{\"rate_limit_per_second\":7,\"max_in_flight\":2}").json(), 7, 2);
        assertLimits(get(id), 7, 2);
    }

    @Test
    void invalidValuesAre400NamingTheFieldOnCreate() {
        for (String[] invalid : INVALID) {
            Answer answer = create("{\"url\":\"http://127.0.0.1:9/bad\",\"" + invalid[0] + "\":" + invalid[1] + "}");
            assertRefused(answer, invalid);
        }
        assertThat(api.send("GET", "/v1/endpoints", key, null, Map.of()).json().get("endpoints").findValuesAsString("url"))
                .doesNotContain("http://127.0.0.1:9/bad");
    }

    @Test
    void invalidValuesAre400NamingTheFieldOnPatchAndChangeNothing() {
        String id = create("{\"url\":\"http://127.0.0.1:9/kept\",\"rate_limit_per_second\":30,\"max_in_flight\":3}")
                .json().get("id").stringValue();
        for (String[] invalid : INVALID) {
            assertRefused(patch(id, "{\"description\":\"changed\",\"" + invalid[0] + "\":" + invalid[1] + "}"), invalid);
        }
        JsonNode kept = get(id);
        assertLimits(kept, 30, 3);
        assertThat(kept.has("description")).isFalse();
    }

    @Test
    void bothInvalidAtOnceAreBothNamed() {
        Answer answer = create("{\"url\":\"http://127.0.0.1:9/both\",\"rate_limit_per_second\":0,\"max_in_flight\":1001}");
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().get("error").get("details").findValuesAsString("field"))
                .containsExactly("rate_limit_per_second", "max_in_flight");
    }

    @Test
    void theDatabaseHoldsAnyWriterToTheSameBounds() throws SQLException {
        UUID id = UUID.fromString(create("{\"url\":\"http://127.0.0.1:9/db\"}").json().get("id").stringValue());
        for (String change : new String[] {"rate_limit_per_second = 0", "rate_limit_per_second = 10001", "max_in_flight = 0",
                "max_in_flight = 1001", "max_in_flight = NULL"}) {
            assertThatThrownBy(() -> update(change, id)).as(change).isInstanceOf(SQLException.class);
        }
        update("rate_limit_per_second = 10000, max_in_flight = 1000", id);
        assertLimits(get(id.toString()), 10000, 1000);
    }

    private static void assertRefused(Answer answer, String[] invalid) {
        String what = invalid[0] + "=" + invalid[1];
        assertThat(answer.status()).as(what).isEqualTo(400);
        JsonNode error = answer.json().get("error");
        assertThat(error.get("code").stringValue()).as(what).isEqualTo("VALIDATION_ERROR");
        assertThat(error.get("details")).as(what).hasSize(1);
        JsonNode detail = error.get("details").get(0);
        assertThat(detail.get("field").stringValue()).as(what).isEqualTo(invalid[0]);
        assertThat(detail.get("issue").stringValue()).as(what).isIn("invalid_value", "invalid_type");
        assertThat(error.get("message").stringValue()).as(what).startsWith(invalid[0] + " must be an integer from 1 to ");
    }

    /** Both fields present, with these values ({@code null} rate: shown as JSON null). */
    private static void assertLimits(JsonNode endpoint, Integer rateLimitPerSecond, int maxInFlight) {
        assertThat(endpoint.has("rate_limit_per_second")).as("rate_limit_per_second shown in %s", endpoint).isTrue();
        if (rateLimitPerSecond == null) {
            assertThat(endpoint.get("rate_limit_per_second").isNull()).as("%s", endpoint).isTrue();
        } else {
            assertThat(endpoint.get("rate_limit_per_second").isInt()).as("%s", endpoint).isTrue();
            assertThat(endpoint.get("rate_limit_per_second").intValue()).isEqualTo(rateLimitPerSecond);
        }
        assertThat(endpoint.get("max_in_flight").isInt()).as("max_in_flight in %s", endpoint).isTrue();
        assertThat(endpoint.get("max_in_flight").intValue()).isEqualTo(maxInFlight);
    }

    private static void update(String change, UUID id) throws SQLException {
        try (Connection db = api.jdbc(); PreparedStatement statement = db.prepareStatement("UPDATE endpoints SET " + change + " WHERE id = ?")) {
            statement.setObject(1, id);
            statement.executeUpdate();
        }
    }

    private static Answer create(String body) {
        return api.send("POST", "/v1/endpoints", key, body, Map.of());
    }

    private static Answer patch(String id, String body) {
        return api.send("PATCH", "/v1/endpoints/" + id, key, body, Map.of());
    }

    private static JsonNode get(String id) {
        Answer answer = api.send("GET", "/v1/endpoints/" + id, key, null, Map.of());
        assertThat(answer.status()).isEqualTo(200);
        return answer.json();
    }

    private static JsonNode listed(String id) {
        for (JsonNode endpoint : api.send("GET", "/v1/endpoints", key, null, Map.of()).json().get("endpoints")) {
            if (endpoint.get("id").stringValue().equals(id)) {
                return endpoint;
            }
        }
        throw new AssertionError("endpoint " + id + " not listed");
    }
}
