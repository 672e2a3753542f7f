package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RunningApi.Answer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code GET /v1/inbox}: filters, order, keyset cursors, and cursors that were not ours. */
class InboxTest {

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
    void followingTheCursorReturnsEveryEventOnceInOrder() {
        String key = api.newUnlimitedOrganizationKey("pages");
        List<String> ingested = ingest(key, 47, "page.item", null);

        assertThat(readAll(key, "limit=7")).containsExactlyElementsOf(ingested);
        List<String> newestFirst = new ArrayList<>(ingested);
        java.util.Collections.reverse(newestFirst);
        assertThat(readAll(key, "limit=10&order=desc")).containsExactlyElementsOf(newestFirst);
        assertThat(page(key, "").get("events")).hasSize(47);
        assertThat(page(key, "").get("next_cursor").isNull()).isTrue();
    }

    @Test
    void pagingWhileEventsArriveMissesNothingAndRepeatsNothing() throws Exception {
        String key = api.newUnlimitedOrganizationKey("concurrent");
        List<String> before = ingest(key, 120, "busy.item", null);
        CompletableFuture<List<String>> arriving = CompletableFuture.supplyAsync(() -> ingest(key, 80, "busy.item", null));

        List<String> read = readAll(key, "limit=9");
        List<String> during = arriving.get();

        assertThat(new HashSet<>(read)).as("no event twice").hasSize(read.size());
        assertThat(read).containsAll(before);
        assertThat(during).allMatch(id -> !read.contains(id) || read.indexOf(id) > read.indexOf(before.get(before.size() - 1)));
        System.out.printf("paged %d events while %d arrived: %d of those seen, none twice%n", before.size(), during.size(),
                during.stream().filter(read::contains).count());
    }

    @Test
    void anEventThatCommitsLateIsListedAfterTheCursorNeverSkipped() throws Exception {
        String key = api.newUnlimitedOrganizationKey("late-commit");
        String first = ingest(key, 1, "late.item", null).get(0);
        String organizationId = api.queryText("SELECT organization_id FROM events WHERE id = ?::uuid", first);
        Tail tail = new Tail(key, 1);
        String late;
        String second;
        String third;
        try (Connection slow = api.jdbc(); Connection quick = api.jdbc()) {
            // Stored like a group commit whose statement is slow to commit: created_at was taken
            // before the two events below, which commit first.
            slow.setAutoCommit(false);
            late = insertEvent(slow, organizationId, Instant.now());
            second = insertEvent(quick, organizationId, Instant.now());
            third = insertEvent(quick, organizationId, Instant.now());
            tail.pollWhileItMovesOn();
            assertThat(ids(page(key, ""))).as("events committed after one still in flight wait for it")
                    .containsExactly(first);
            slow.commit();
        }
        assertThat(tail.toTheEnd()).containsExactly(first, late, second, third);
    }

    @Test
    void aReaderTailingWhileCommitsLandOutOfOrderSeesEveryEventExactlyOnce() throws Exception {
        String key = api.newUnlimitedOrganizationKey("out-of-order");
        String first = ingest(key, 1, "late.item", null).get(0);
        String organizationId = api.queryText("SELECT organization_id FROM events WHERE id = ?::uuid", first);
        List<String> written = java.util.Collections.synchronizedList(new ArrayList<>(List.of(first)));
        java.util.concurrent.ExecutorService writers = java.util.concurrent.Executors.newFixedThreadPool(4);
        List<java.util.concurrent.Future<?>> writing = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            writing.add(writers.submit(() -> {
                java.util.Random random = new java.util.Random();
                try (Connection db = api.jdbc()) {
                    db.setAutoCommit(false);
                    for (int t = 0; t < 30; t++) {
                        Instant createdAt = Instant.now();
                        List<String> stored = new ArrayList<>();
                        for (int n = 1 + random.nextInt(3); n > 0; n--) {
                            stored.add(insertEvent(db, organizationId, createdAt));
                        }
                        // The commit is held up: other writers' later events commit before it. Holding
                        // the transaction open is the scenario itself, so this sleep is not a wait.
                        Thread.sleep(random.nextInt(100));
                        db.commit();
                        written.addAll(stored);
                    }
                }
                return null;
            }));
        }
        // Pages of 20: the reader keeps up, so it reads at the newest commits while older ones are in flight.
        Tail tail = new Tail(key, 20);
        int polls = 0;
        while (!writing.stream().allMatch(java.util.concurrent.Future::isDone)) {
            tail.pollWhileItMovesOn();
            polls++;
        }
        assertThat(polls).as("the reader caught up with the writers").isGreaterThan(10);
        for (java.util.concurrent.Future<?> done : writing) {
            done.get();
        }
        writers.shutdown();
        List<String> seen = tail.toTheEnd();

        assertThat(new HashSet<>(seen)).as("no event twice").hasSize(seen.size());
        assertThat(seen).containsExactlyInAnyOrderElementsOf(written);
        System.out.printf("tailed %d events written by 4 writers committing out of order: each seen once%n", seen.size());
    }

    @Test
    void anEventCommittedWhileNothingElseIsWrittenIsListedAtOnce() {
        String key = api.newUnlimitedOrganizationKey("at-once");
        for (int i = 0; i < 5; i++) {
            String id = ingest(key, 1, "prompt.item", null).get(0);
            long stored = System.nanoTime();
            // Background writes of this api (key usage) may hold the horizon back for a few ms; a
            // horizon that lagged by time would take seconds.
            while (!ids(page(key, "")).contains(id)) {
                assertThat(System.nanoTime() - stored).as("listed within a second").isLessThan(1_000_000_000L);
            }
            System.out.printf("event listed %d ms after its 201%n", (System.nanoTime() - stored) / 1_000_000);
        }
    }

    /**
     * A pull consumer that follows the inbox, moving on only when a page gives a cursor: the last
     * page for now is read again from the same cursor later.
     */
    private static final class Tail {
        private final String key;
        private final String limit;
        private final List<String> seen = new ArrayList<>();
        private String cursor;

        Tail(String key, int limit) {
            this.key = key;
            this.limit = "limit=" + limit;
        }

        /** Reads on while pages give a cursor; the last page for now stays unconsumed. */
        void pollWhileItMovesOn() {
            while (true) {
                JsonNode page = page(key, limit + (cursor == null ? "" : "&cursor=" + cursor));
                if (page.get("next_cursor").isNull()) {
                    return;
                }
                seen.addAll(ids(page));
                cursor = page.get("next_cursor").stringValue();
            }
        }

        /** Once nothing more is written: everything read, in order, the last page included. */
        List<String> toTheEnd() {
            pollWhileItMovesOn();
            seen.addAll(ids(page(key, limit + (cursor == null ? "" : "&cursor=" + cursor))));
            return seen;
        }
    }

    private static String insertEvent(Connection db, String organizationId, Instant createdAt) throws SQLException {
        String id = UUID.randomUUID().toString();
        try (PreparedStatement insert = db.prepareStatement("""
                INSERT INTO events (id, organization_id, event_type, payload, status, created_at, updated_at)
                VALUES (?::uuid, ?::uuid, 'late.item', '{}'::jsonb, 'pending', ?::timestamptz, ?::timestamptz)""")) {
            insert.setString(1, id);
            insert.setString(2, organizationId);
            insert.setString(3, createdAt.toString());
            insert.setString(4, createdAt.toString());
            insert.executeUpdate();
        }
        return id;
    }

    @Test
    void everyFilterNarrowsTheListing() throws Exception {
        String key = api.newUnlimitedOrganizationKey("filters");
        List<String> orders = ingest(key, 4, "order.created", "shop");
        Instant middle = Instant.now();
        List<String> invoices = ingest(key, 3, "invoice.paid", "billing");
        api.queryText("UPDATE events SET status = 'failed' WHERE id = ?::uuid RETURNING 1", orders.get(0));
        api.queryText("UPDATE events SET status = 'dead' WHERE id = ?::uuid RETURNING 1", orders.get(1));
        api.queryText("UPDATE events SET status = 'delivered' WHERE id = ?::uuid RETURNING 1", orders.get(2));
        api.send("POST", "/v1/events/" + invoices.get(0) + "/ack", key, null, Map.of());

        assertThat(ids(page(key, ""))).as("delivered and acknowledged are not in the inbox")
                .containsExactly(orders.get(0), orders.get(1), orders.get(3), invoices.get(1), invoices.get(2));
        assertThat(ids(page(key, "status=failed"))).containsExactly(orders.get(0));
        assertThat(ids(page(key, "status=dead"))).containsExactly(orders.get(1));
        assertThat(ids(page(key, "status=pending"))).containsExactly(orders.get(3), invoices.get(1), invoices.get(2));
        assertThat(ids(page(key, "event_type=invoice.paid"))).containsExactly(invoices.get(1), invoices.get(2));
        assertThat(ids(page(key, "source=shop"))).containsExactly(orders.get(0), orders.get(1), orders.get(3));
        assertThat(ids(page(key, "created_after=" + encode(middle.toString())))).containsExactly(invoices.get(1), invoices.get(2));
        assertThat(ids(page(key, "created_before=" + encode(middle.toString())))).containsExactly(orders.get(0), orders.get(1), orders.get(3));
        assertThat(ids(page(key, "event_type=order.created&status=pending&order=desc"))).containsExactly(orders.get(3));

        JsonNode event = page(key, "status=failed").get("events").get(0);
        assertThat(event.get("event_type").stringValue()).isEqualTo("order.created");
        assertThat(event.get("source").stringValue()).isEqualTo("shop");
        assertThat(event.get("payload").get("n").isNumber()).isTrue();
        assertThat(event.has("created_at")).isTrue();
    }

    @Test
    void eachItemSaysWhenRetentionWillDeleteIt() throws Exception {
        String plain = api.newUnlimitedOrganizationKey("expires-default");
        JsonNode kept = api.createOrganization("{\"name\":\"expires-own\",\"rate_limit_per_minute\":0,\"retention_days\":3}");
        String keeper = kept.get("api_key").get("key").stringValue();
        ingest(plain, 1, "expiring.item", null);
        ingest(keeper, 1, "expiring.item", null);

        JsonNode byDefault = page(plain, "").get("events").get(0);
        assertThat(Instant.parse(byDefault.get("expires_at").stringValue()))
                .as("TRIGGERS_RETENTION_UNDELIVERED, 30 days by default, from created_at")
                .isEqualTo(Instant.parse(byDefault.get("created_at").stringValue()).plus(java.time.Duration.ofDays(30)));
        JsonNode own = page(keeper, "").get("events").get(0);
        assertThat(Instant.parse(own.get("expires_at").stringValue())).as("the organization's retention_days")
                .isEqualTo(Instant.parse(own.get("created_at").stringValue()).plus(java.time.Duration.ofDays(3)));
    }

    @Test
    void badParametersAre400() {
        String key = api.newUnlimitedOrganizationKey("bad-params");
        for (String query : List.of("limit=0", "limit=501", "limit=ten", "status=delivered", "order=sideways",
                "created_after=yesterday", "event_type=" + encode("a b"), "colour=red", "limit=5&limit=6")) {
            Answer answer = api.send("GET", "/v1/inbox?" + query, key, null, Map.of());
            assertThat(answer.status()).as(query).isEqualTo(400);
            assertThat(answer.json().get("error").get("code").stringValue()).isEqualTo("VALIDATION_ERROR");
        }
    }

    @Test
    void cursorsThatAreNotOursAre400AndNeverLeakAnotherOrganization() {
        String mine = api.newUnlimitedOrganizationKey("cursor-owner");
        String theirs = api.newUnlimitedOrganizationKey("cursor-thief");
        ingest(mine, 5, "secret.item", null);
        ingest(theirs, 5, "their.item", null);
        String cursor = page(mine, "limit=2").get("next_cursor").stringValue();
        // The last character but one: the last may carry only padding bits, which a base64 decoder drops
        // (a cursor 71 characters long, as a young PostgreSQL's small transaction ids make, decoded the same).
        int at = cursor.length() - 2;
        String tampered = cursor.substring(0, at) + (cursor.charAt(at) == 'A' ? 'B' : 'A') + cursor.substring(at + 1);
        String flipped = (cursor.charAt(3) == 'A' ? "B" : "A");
        String tamperedPosition = cursor.substring(0, 3) + flipped + cursor.substring(4);

        for (String forged : List.of("garbage", "", "%%%", tampered, tamperedPosition, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")) {
            if (forged.isEmpty()) {
                continue;
            }
            Answer answer = api.send("GET", "/v1/inbox?limit=2&cursor=" + encode(forged), mine, null, Map.of());
            assertThat(answer.status()).as(forged).isEqualTo(400);
        }
        // Another organization's key with my cursor: refused, not a view of my events.
        Answer stolen = api.send("GET", "/v1/inbox?limit=2&cursor=" + cursor, theirs, null, Map.of());
        assertThat(stolen.status()).isEqualTo(400);
        assertThat(stolen.text()).doesNotContain("secret.item");
        // The same cursor with other filters: refused.
        assertThat(api.send("GET", "/v1/inbox?limit=2&order=desc&cursor=" + cursor, mine, null, Map.of()).status()).isEqualTo(400);
        assertThat(api.send("GET", "/v1/inbox?limit=3&cursor=" + cursor, mine, null, Map.of()).status())
                .as("the page size may change").isEqualTo(200);
        assertThat(ids(page(theirs, ""))).hasSize(5).allSatisfy(id -> assertThat(page(mine, "").toString()).doesNotContain(id));
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
        Answer answer = api.send("GET", "/v1/inbox" + (query.isEmpty() ? "" : "?" + query), key, null, Map.of());
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

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
