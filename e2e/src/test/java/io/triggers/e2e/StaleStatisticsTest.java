package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.testing.WebhookReceiver;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A table that grew faster than its statistics (autovacuum off, as on this project's CI machine,
 * or not yet run after a burst) must not turn the per-delivery lookups and the reconciler's pages
 * into reads of every owed delivery. The owed deliveries' partial index is the trap: PostgreSQL
 * takes it for a small one (it was built on an empty table) and reads all of it. The test watches
 * the index blocks PostgreSQL counts per scan of that index: a reconciler page reads a handful, and
 * the lookups do not read it at all. With the trap, a page read all of its 700-odd blocks, and a
 * lookup as many. Nor may a lookup or an event's status refresh hash a whole table: the test also
 * counts the rows sequential scans read meanwhile.
 */
class StaleStatisticsTest {

    private static final int BACKLOG = 100_000;
    private static final int PAGE = 1_000;
    /** Events delivered meanwhile: each one's lookup would read the whole index with the trap. */
    private static final int LIVE = 50;
    /**
     * Index blocks per scan allowed: measured about 35 (a page of 1 000 spans 6 leaf blocks; the
     * deliveries inserted meanwhile add theirs), against 280 with the lookups' trap and 700 with
     * the pages'.
     */
    private static final long BLOCKS_PER_SCAN = 100;
    /**
     * Rows of events and deliveries sequential scans may read while the live events are delivered:
     * less than one scan of the backlog (measured: none). With per-delivery statements that
     * PostgreSQL hashes without statistics (the lookup reached its deliveries through events, the
     * status refresh its events through a summary), it measured 500 250: whole tables, five times.
     */
    private static final long SEQUENTIALLY_READ_ROWS = BACKLOG / 2;

    @Test
    void lookupsAndReconcilerPagesReadNoMoreThanTheyNeedWithoutStatistics() throws Exception {
        try (RunningService service = RunningService.start(Map.of(
                "triggers.reconciler.every", "300ms", "triggers.reconciler.grace", "500ms",
                "triggers.reconciler.batch", String.valueOf(PAGE), "triggers.reconciler.max-batches", "2"));
             WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("stale-statistics");
            String endpointId = service.newEndpoint(key, receiver.url("/hook")).get("id").stringValue();
            String organizationId = service.call("GET", "/v1/me", key, null).body().get("organization_id").stringValue();
            try (Connection db = service.jdbc(); Statement sql = db.createStatement()) {
                // Only this test's database: no ANALYZE comes between the burst and the reads.
                sql.execute("ALTER TABLE deliveries SET (autovacuum_enabled = false)");
                sql.execute("ALTER TABLE events SET (autovacuum_enabled = false)");
                // A burst of owed deliveries whose events an inbox consumer acknowledged: the
                // reconciler pages through them (nothing to queue), the worker never gets them.
                sql.execute("""
                        INSERT INTO events (id, organization_id, event_type, payload, status, created_at, updated_at, acknowledged_at)
                        SELECT gen_random_uuid(), '%s', 'burst.event', '{"n": 1}', 'acknowledged',
                               now() - interval '1 minute' + n * interval '1 microsecond', now(), now()
                        FROM generate_series(1, %d) n""".formatted(organizationId, BACKLOG));
                sql.execute("""
                        INSERT INTO deliveries (event_id, endpoint_id, organization_id, status, created_at, updated_at)
                        SELECT id, '%s', organization_id, 'pending', created_at, now() FROM events WHERE event_type = 'burst.event'
                        """.formatted(endpointId));
            }
            Counts before = keysetIndexCounts(service);
            long rowsScannedBefore = rowsReadBySequentialScans(service);

            // In one batch: the worker starts as many as the endpoint allows at once, so its lookups
            // and status refreshes go to PostgreSQL several per statement (from four ids a statement
            // on, the hashed statements read whole tables; one id at a time, they never did).
            service.ingestBatch(key, IntStream.range(0, LIVE)
                    .mapToObj(n -> "{\"event_type\":\"live.event\",\"payload\":{\"n\":" + n + "}}").toList());
            await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received().size() >= LIVE);
            long delivered = System.nanoTime();
            // PostgreSQL publishes a busy backend's counters at most once a second and an idle one's
            // after 10 s: wait for every connection's counters and for a good number of reconciler pages.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
                    keysetIndexCounts(service).scans() - before.scans() >= 40
                            && System.nanoTime() - delivered > Duration.ofSeconds(11).toNanos());

            Counts after = keysetIndexCounts(service);
            long scans = after.scans() - before.scans();
            long blocks = after.blocks() - before.blocks();
            assertThat(blocks / scans)
                    .as("owed-index blocks read per scan (%d scans, %d blocks)", scans, blocks)
                    .isLessThanOrEqualTo(BLOCKS_PER_SCAN);
            long rowsScanned = rowsReadBySequentialScans(service) - rowsScannedBefore;
            assertThat(rowsScanned)
                    .as("rows of events and deliveries read by sequential scans while %d events were delivered", LIVE)
                    .isLessThanOrEqualTo(SEQUENTIALLY_READ_ROWS);
        }
    }

    private record Counts(long scans, long blocks) {
    }

    /** Rows of events and deliveries read by sequential scans so far. */
    private static long rowsReadBySequentialScans(RunningService service) throws SQLException {
        try (Connection db = service.jdbc(); Statement sql = db.createStatement();
             ResultSet row = sql.executeQuery("SELECT coalesce(sum(seq_tup_read), 0) FROM pg_stat_user_tables "
                     + "WHERE relname IN ('events', 'deliveries')")) {
            assertThat(row.next()).isTrue();
            return row.getLong(1);
        }
    }

    private static Counts keysetIndexCounts(RunningService service) throws SQLException {
        try (Connection db = service.jdbc(); Statement sql = db.createStatement();
             ResultSet row = sql.executeQuery("""
                     SELECT s.idx_scan, io.idx_blks_read + io.idx_blks_hit
                     FROM pg_stat_user_indexes s JOIN pg_statio_user_indexes io USING (indexrelid)
                     WHERE s.indexrelname = 'deliveries_owed_keyset_idx'""")) {
            assertThat(row.next()).isTrue();
            return new Counts(row.getLong(1), row.getLong(2));
        }
    }
}
