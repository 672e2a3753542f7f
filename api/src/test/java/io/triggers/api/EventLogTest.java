package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RunningApi.Answer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /v1/events} (issue 19): every event of the organization whatever its status, newest
 * first by default, every filter, keyset cursors bound to their query, exactly once even while
 * events commit out of order.
 */
class EventLogTest {

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
    void everyStatusIsListedNewestFirstAndEveryFilterNarrows() throws Exception {
        String key = api.newUnlimitedOrganizationKey("log-filters");
        String orders = api.send("POST", "/v1/endpoints", key, "{\"url\":\"http://127.0.0.1:9/o\",\"event_types\":[\"order.*\"]}", Map.of())
                .json().get("id").stringValue();
        List<String> created = ingest(key, 4, "order.created", "shop");
        Instant middle = Instant.now();
        List<String> invoices = ingest(key, 3, "invoice.paid", "billing");
        api.queryText("UPDATE events SET status = 'failed' WHERE id = ?::uuid RETURNING 1", created.get(0));
        api.queryText("UPDATE events SET status = 'dead' WHERE id = ?::uuid RETURNING 1", created.get(1));
        api.queryText("UPDATE events SET status = 'delivered', delivered_at = now() WHERE id = ?::uuid RETURNING 1", created.get(2));
        assertThat(api.send("POST", "/v1/events/" + invoices.get(0) + "/ack", key, null, Map.of()).status()).isEqualTo(200);

        List<String> all = new ArrayList<>(created);
        all.addAll(invoices);
        assertThat(ids(page(key, ""))).as("every status, newest first").containsExactlyElementsOf(reversed(all));
        assertThat(ids(page(key, "order=asc"))).containsExactlyElementsOf(all);
        assertThat(ids(page(key, "status=failed"))).containsExactly(created.get(0));
        assertThat(ids(page(key, "status=dead"))).containsExactly(created.get(1));
        assertThat(ids(page(key, "status=delivered"))).containsExactly(created.get(2));
        assertThat(ids(page(key, "status=acknowledged"))).containsExactly(invoices.get(0));
        assertThat(ids(page(key, "status=pending"))).containsExactly(invoices.get(2), invoices.get(1), created.get(3));
        assertThat(ids(page(key, "event_type=invoice.paid&order=asc"))).containsExactlyElementsOf(invoices);
        assertThat(ids(page(key, "source=shop"))).containsExactlyElementsOf(reversed(created));
        assertThat(ids(page(key, "endpoint_id=" + orders))).as("events with a delivery to that endpoint")
                .containsExactlyElementsOf(reversed(created));
        assertThat(ids(page(key, "created_after=" + encode(middle.toString())))).containsExactlyElementsOf(reversed(invoices));
        assertThat(ids(page(key, "created_before=" + encode(middle.toString()) + "&order=asc"))).containsExactlyElementsOf(created);
        assertThat(ids(page(key, "event_type=order.created&status=pending&source=shop&endpoint_id=" + orders)))
                .containsExactly(created.get(3));
        assertThat(ids(page(key, "event_type=nothing.here"))).isEmpty();

        JsonNode delivered = page(key, "status=delivered").get("events").get(0);
        assertThat(delivered.get("event_type").stringValue()).isEqualTo("order.created");
        assertThat(delivered.get("payload").get("n").intValue()).isEqualTo(2);
        assertThat(Instant.parse(delivered.get("expires_at").stringValue()))
                .as("a delivered event is kept TRIGGERS_RETENTION_DELIVERED (7 days) after its delivery")
                .isEqualTo(Instant.parse(delivered.get("delivered_at").stringValue()).plus(Duration.ofDays(7)));
        JsonNode pending = page(key, "status=pending&limit=1").get("events").get(0);
        assertThat(Instant.parse(pending.get("expires_at").stringValue()))
                .isEqualTo(Instant.parse(pending.get("created_at").stringValue()).plus(Duration.ofDays(30)));
    }

    @Test
    void followingTheCursorReturnsEveryEventOnceInBothOrders() throws Exception {
        String key = api.newUnlimitedOrganizationKey("log-pages");
        List<String> ingested = ingest(key, 23, "page.item", null);
        api.queryText("UPDATE events SET status = 'delivered', delivered_at = now() WHERE id = ?::uuid RETURNING 1", ingested.get(5));

        assertThat(readAll(key, "limit=4")).containsExactlyElementsOf(reversed(ingested));
        assertThat(readAll(key, "limit=5&order=asc")).containsExactlyElementsOf(ingested);
        assertThat(readAll(key, "limit=3&event_type=page.item")).containsExactlyElementsOf(reversed(ingested));
        assertThat(page(key, "limit=23").get("next_cursor").isNull()).isTrue();
    }

    @Test
    void anAscendingReaderNeverSkipsAnEventThatCommitsLate() throws Exception {
        String key = api.newUnlimitedOrganizationKey("log-late");
        String first = ingest(key, 1, "late.item", null).get(0);
        String organizationId = api.queryText("SELECT organization_id FROM events WHERE id = ?::uuid", first);
        String late;
        String second;
        try (Connection slow = api.jdbc(); Connection quick = api.jdbc()) {
            slow.setAutoCommit(false);
            late = insertEvent(slow, organizationId, Instant.now(), "delivered");
            second = insertEvent(quick, organizationId, Instant.now(), "delivered");
            assertThat(ids(page(key, "order=asc"))).as("events committed after one still in flight wait for it")
                    .containsExactly(first);
            assertThat(ids(page(key, ""))).as("newest first shows what has committed").containsExactly(second, first);
            slow.commit();
        }
        assertThat(ids(page(key, "order=asc"))).containsExactly(first, late, second);
    }

    @Test
    void pagingWhileEventsArriveRepeatsNothing() throws Exception {
        String key = api.newUnlimitedOrganizationKey("log-concurrent");
        List<String> before = ingest(key, 60, "busy.item", null);
        java.util.concurrent.CompletableFuture<List<String>> arriving =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> ingest(key, 40, "busy.item", null));
        List<String> read = readAll(key, "limit=7");
        arriving.get();
        assertThat(new HashSet<>(read)).as("no event twice").hasSize(read.size());
        assertThat(read).containsAll(before);
    }

    @Test
    void cursorsAreBoundToTheirQueryAndOrganization() {
        String mine = api.newUnlimitedOrganizationKey("log-cursor-owner");
        String theirs = api.newUnlimitedOrganizationKey("log-cursor-thief");
        ingest(mine, 5, "secret.item", null);
        String cursor = page(mine, "limit=2").get("next_cursor").stringValue();
        assertThat(api.send("GET", "/v1/events?limit=2&cursor=" + cursor, mine, null, Map.of()).status()).isEqualTo(200);
        assertThat(api.send("GET", "/v1/events?limit=2&cursor=" + cursor, theirs, null, Map.of()).status()).isEqualTo(400);
        assertThat(api.send("GET", "/v1/events?limit=2&order=asc&cursor=" + cursor, mine, null, Map.of()).status()).isEqualTo(400);
        String inbox = api.send("GET", "/v1/inbox?limit=2", mine, null, Map.of()).json().get("next_cursor").stringValue();
        assertThat(api.send("GET", "/v1/events?limit=2&cursor=" + inbox, mine, null, Map.of()).status())
                .as("an inbox cursor is not an event-log cursor").isEqualTo(400);
        assertThat(ids(page(theirs, ""))).isEmpty();
    }

    @Test
    void badParametersAre400AndAnotherOrganizationsEndpointIs404() {
        String key = api.newUnlimitedOrganizationKey("log-bad");
        String other = api.newUnlimitedOrganizationKey("log-other");
        String theirEndpoint = api.send("POST", "/v1/endpoints", other, "{\"url\":\"http://127.0.0.1:9/x\"}", Map.of())
                .json().get("id").stringValue();
        for (String query : List.of("limit=0", "limit=501", "status=sleeping", "order=sideways", "created_before=today",
                "event_type=" + encode("a b"), "endpoint_id=nope", "colour=red", "status=dead&status=failed", "source=")) {
            Answer answer = api.send("GET", "/v1/events?" + query, key, null, Map.of());
            assertThat(answer.status()).as(query).isEqualTo(400);
            assertThat(answer.json().get("error").get("code").stringValue()).isEqualTo("VALIDATION_ERROR");
        }
        Answer two = api.send("GET", "/v1/events?limit=0&order=up", key, null, Map.of());
        assertThat(two.json().get("error").get("details")).as("one detail per problem").hasSize(2);
        assertThat(api.send("GET", "/v1/events?endpoint_id=" + theirEndpoint, key, null, Map.of()).status()).isEqualTo(404);
        assertThat(api.send("GET", "/v1/events", null, null, Map.of()).status()).isEqualTo(401);
        assertThat(api.send("PUT", "/v1/events", key, "{}", Map.of()).status()).as("other methods stay 405").isEqualTo(405);
    }

    private static List<String> reversed(List<String> ids) {
        List<String> copy = new ArrayList<>(ids);
        Collections.reverse(copy);
        return copy;
    }

    private static List<String> readAll(String key, String query) {
        List<String> read = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages < 1000; pages++) {
            JsonNode page = page(key, query + (cursor == null ? "" : "&cursor=" + cursor));
            read.addAll(ids(page));
            if (page.get("next_cursor").isNull()) {
                return read;
            }
            cursor = page.get("next_cursor").stringValue();
        }
        throw new AssertionError("pagination did not end");
    }

    private static JsonNode page(String key, String query) {
        Answer answer = api.send("GET", "/v1/events" + (query.isEmpty() ? "" : "?" + query), key, null, Map.of());
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        return answer.json();
    }

    private static List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.get("events").forEach(event -> ids.add(event.get("event_id").stringValue()));
        return ids;
    }

    private static List<String> ingest(String key, int count, String type, String source) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String body = "{\"event_type\":\"" + type + "\"," + (source == null ? "" : "\"source\":\"" + source + "\",")
                    + "\"payload\":{\"n\":" + i + "}}";
            Answer answer = api.send("POST", "/v1/events", key, body, Map.of());
            assertThat(answer.status()).isEqualTo(201);
            ids.add(answer.json().get("event_id").stringValue());
        }
        return ids;
    }

    private static String insertEvent(Connection db, String organizationId, Instant createdAt, String status) throws SQLException {
        String id = UUID.randomUUID().toString();
        try (PreparedStatement insert = db.prepareStatement("""
                INSERT INTO events (id, organization_id, event_type, payload, status, created_at, updated_at, delivered_at)
                VALUES (?::uuid, ?::uuid, 'late.item', '{}'::jsonb, ?, ?::timestamptz, ?::timestamptz, now())""")) {
            insert.setString(1, id);
            insert.setString(2, organizationId);
            insert.setString(3, status);
            insert.setString(4, createdAt.toString());
            insert.setString(5, createdAt.toString());
            insert.executeUpdate();
        }
        return id;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
