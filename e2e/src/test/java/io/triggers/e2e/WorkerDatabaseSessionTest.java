package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * The worker's pooled connections plan each statement with its own values and bound statements and
 * idle transactions in time, like the api's (see DatabaseSessionTest there).
 */
class WorkerDatabaseSessionTest {

    @Test
    void theWorkersStatementsArePlannedWithTheirOwnValuesAndNeverRunLong() {
        try (RunningService service = RunningService.start()) {
            DatabaseClient db = service.worker().getBean(DatabaseClient.class);
            assertThat(setting(db, "plan_cache_mode")).isEqualTo("force_custom_plan");
            assertThat(setting(db, "statement_timeout")).isEqualTo("30s");
            assertThat(setting(db, "idle_in_transaction_session_timeout")).isEqualTo("1min");
        }
    }

    private static String setting(DatabaseClient db, String name) {
        return db.sql("SELECT current_setting('" + name + "') AS value").map(row -> row.get("value", String.class)).one()
                .block(Duration.ofSeconds(10));
    }
}
