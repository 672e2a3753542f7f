package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RunningApi.Answer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /v1/endpoints/{id}/attempts} (issue 19): an endpoint's attempts, newest first, by
 * cursor, all or only those that succeeded (2xx) or failed. The attempts are written here as the
 * worker writes them.
 */
class EndpointAttemptsTest {

    private static RunningApi api;

    @BeforeAll
    static void start() {
        api = RunningApi.start(Map.of("triggers.delivery.allow-private-targets", "true"));
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void attemptsArePagedNewestFirstAndFilteredByOutcome() throws Exception {
        String key = api.newUnlimitedOrganizationKey("attempts");
        String endpointId = api.send("POST", "/v1/endpoints", key, "{\"url\":\"http://127.0.0.1:9/a\"}", Map.of()).json().get("id").stringValue();
        String other = api.send("POST", "/v1/endpoints", key, "{\"url\":\"http://127.0.0.1:9/b\"}", Map.of()).json().get("id").stringValue();
        String eventId = api.send("POST", "/v1/events", key, "{\"event_type\":\"a.b\",\"payload\":1}", Map.of()).json().get("event_id").stringValue();
        String organizationId = api.send("GET", "/v1/me", key, null, Map.of()).json().get("organization_id").stringValue();
        Integer[] codes = {500, null, 503, 200, 201};
        List<String> ids = new ArrayList<>();
        Instant first = Instant.parse("2026-12-01T10:00:00Z");
        for (int i = 0; i < codes.length; i++) {
            ids.add(attempt(eventId, endpointId, organizationId, i + 1, codes[i], first.plusSeconds(i)));
        }
        attempt(eventId, other, organizationId, 1, 200, first); // another endpoint's: never listed

        JsonNode all = list(endpointId, key, "");
        assertThat(all.get("attempts")).extracting(a -> a.get("id").stringValue()).containsExactly(newestFirst(ids).toArray(String[]::new));
        assertThat(all.get("attempts").get(0).get("event_id").stringValue()).isEqualTo(eventId);
        assertThat(all.get("attempts").get(0).get("status_code").intValue()).isEqualTo(201);
        assertThat(all.hasNonNull("next_cursor")).isFalse();

        List<String> paged = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = list(endpointId, key, "limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
            page.get("attempts").forEach(a -> paged.add(a.get("id").stringValue()));
            cursor = page.hasNonNull("next_cursor") ? page.get("next_cursor").stringValue() : null;
        } while (cursor != null);
        assertThat(paged).containsExactlyElementsOf(newestFirst(ids));

        assertThat(list(endpointId, key, "status=succeeded").get("attempts")).extracting(a -> a.get("id").stringValue())
                .containsExactly(ids.get(4), ids.get(3));
        assertThat(list(endpointId, key, "status=failed").get("attempts")).extracting(a -> a.get("id").stringValue())
                .containsExactly(ids.get(2), ids.get(1), ids.get(0));

        assertThat(api.send("GET", "/v1/endpoints/" + endpointId + "/attempts?status=ok", key, null, Map.of()).status()).isEqualTo(400);
        assertThat(api.send("GET", "/v1/endpoints/" + endpointId + "/attempts?cursor=bogus", key, null, Map.of()).status()).isEqualTo(400);
        assertThat(api.send("GET", "/v1/endpoints/" + endpointId + "/attempts?limit=501", key, null, Map.of()).status()).isEqualTo(400);
        String stranger = api.newUnlimitedOrganizationKey("stranger");
        assertThat(api.send("GET", "/v1/endpoints/" + endpointId + "/attempts", stranger, null, Map.of()).status()).isEqualTo(404);
        assertThat(api.send("GET", "/v1/endpoints/" + UUID.randomUUID() + "/attempts", key, null, Map.of()).status()).isEqualTo(404);
    }

    private static List<String> newestFirst(List<String> ids) {
        List<String> reversed = new ArrayList<>(ids);
        java.util.Collections.reverse(reversed);
        return reversed;
    }

    private static JsonNode list(String endpointId, String key, String query) {
        Answer answer = api.send("GET", "/v1/endpoints/" + endpointId + "/attempts?" + query, key, null, Map.of());
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        return answer.json();
    }

    private static String attempt(String eventId, String endpointId, String organizationId, int attempt, Integer statusCode, Instant at)
            throws Exception {
        UUID id = UUID.randomUUID();
        try (Connection db = api.jdbc(); PreparedStatement insert = db.prepareStatement("""
                INSERT INTO delivery_attempts (id, event_id, endpoint_id, organization_id, attempt, status_code, duration_ms, error, attempted_at)
                VALUES (?, ?::uuid, ?::uuid, ?::uuid, ?, ?, 12, ?, ?)""")) {
            insert.setObject(1, id);
            insert.setString(2, eventId);
            insert.setString(3, endpointId);
            insert.setString(4, organizationId);
            insert.setInt(5, attempt);
            if (statusCode == null) {
                insert.setNull(6, java.sql.Types.INTEGER);
            } else {
                insert.setInt(6, statusCode);
            }
            insert.setString(7, statusCode == null ? "connection refused" : null);
            insert.setTimestamp(8, Timestamp.from(at));
            insert.executeUpdate();
        }
        return id.toString();
    }
}
