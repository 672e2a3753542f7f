package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * Every pooled connection plans each statement with its own values: a generic plan cached for a
 * small table kept scanning whole tables once one organization had a large backlog (seen in
 * bench/isolation.sh); statements and idle transactions are bounded in time. The worker's
 * connections are set the same way in its own settings file.
 */
class DatabaseSessionTest {

    private static String setting(DatabaseClient db, String name) {
        return db.sql("SELECT current_setting('" + name + "') AS value").map(row -> row.get("value", String.class)).one()
                .block(Duration.ofSeconds(10));
    }

    @Test
    void statementsArePlannedWithTheirOwnValuesAndNeverRunLong() {
        try (RunningApi api = RunningApi.start(Map.of())) {
            DatabaseClient db = api.context.getBean(DatabaseClient.class);
            String mode = db.sql("SELECT current_setting('plan_cache_mode') AS mode")
                    .map(row -> row.get("mode", String.class))
                    .one()
                    .block(Duration.ofSeconds(10));
            assertThat(mode).isEqualTo("force_custom_plan");
            // A statement stuck behind a lock, or a transaction left open, ends on its own.
            assertThat(setting(db, "statement_timeout")).isEqualTo("30s");
            assertThat(setting(db, "idle_in_transaction_session_timeout")).isEqualTo("1min");
        }
    }
}
