package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.core.DatabaseClient;

/** The worker's pooled connections plan each statement with its own values, like the api's (see DatabaseSessionTest there). */
class WorkerDatabaseSessionTest {

    @Test
    void theWorkersStatementsArePlannedWithTheirOwnValues() {
        try (RunningService service = RunningService.start()) {
            DatabaseClient db = service.worker().getBean(DatabaseClient.class);
            String mode = db.sql("SELECT current_setting('plan_cache_mode') AS mode")
                    .map(row -> row.get("mode", String.class))
                    .one()
                    .block(Duration.ofSeconds(10));
            assertThat(mode).isEqualTo("force_custom_plan");
        }
    }
}
