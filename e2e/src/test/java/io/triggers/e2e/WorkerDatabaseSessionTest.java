package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import io.triggers.worker.storage.DeliveryStatements;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * The worker's pooled connections plan each statement with its own values and bound statements and
 * idle transactions in time, like the api's (see DatabaseSessionTest there); unlike the api's, its
 * commits do not wait for their WAL flush (a crash can only repeat a delivery, see triggers-worker.yml).
 * The connections of the per-delivery statements are the exception to the first rule, and only in a
 * way that keeps their reused plans on primary keys (see DeliveryStatements).
 */
class WorkerDatabaseSessionTest {

    @Test
    void theWorkersStatementsArePlannedWithTheirOwnValuesAndNeverRunLong() {
        try (RunningService service = RunningService.start()) {
            DatabaseClient db = service.worker().getBean(DatabaseClient.class);
            assertThat(setting(db, "plan_cache_mode")).isEqualTo("force_custom_plan");
            assertThat(setting(db, "statement_timeout")).isEqualTo("30s");
            assertThat(setting(db, "idle_in_transaction_session_timeout")).isEqualTo("1min");
            // The worker's commits do not wait for the WAL flush; the api's event inserts do.
            assertThat(setting(db, "synchronous_commit")).isEqualTo("off");
            DatabaseClient api = service.api().getBean(DatabaseClient.class);
            assertThat(setting(api, "synchronous_commit")).isEqualTo("on");
        }
    }

    @Test
    void thePerDeliveryStatementsReusePlansThatCannotScanWholeTables() {
        try (RunningService service = RunningService.start()) {
            DatabaseClient db = service.worker().getBean(DeliveryStatements.class).client();
            assertThat(setting(db, "plan_cache_mode")).isEqualTo("force_generic_plan");
            assertThat(setting(db, "enable_seqscan")).isEqualTo("off");
            assertThat(setting(db, "enable_hashjoin")).isEqualTo("off");
            assertThat(setting(db, "enable_mergejoin")).isEqualTo("off");
            // The rest of the application's session settings still hold.
            assertThat(setting(db, "statement_timeout")).isEqualTo("30s");
            assertThat(setting(db, "idle_in_transaction_session_timeout")).isEqualTo("1min");
            assertThat(setting(db, "synchronous_commit")).isEqualTo("off");
        }
    }

    private static String setting(DatabaseClient db, String name) {
        return db.sql("SELECT current_setting('" + name + "') AS value").map(row -> row.get("value", String.class)).one()
                .block(Duration.ofSeconds(10));
    }
}
