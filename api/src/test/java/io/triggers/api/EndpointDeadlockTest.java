package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Deleting an endpoint cascades to its deliveries, locking each, while the worker's statements lock
 * a few deliveries at a time in an order of their own: the two can deadlock, and PostgreSQL then
 * cancels one of them (the isolation benchmark met it: {@code DELETE /v1/endpoints/{id}} answered 500).
 * A delete chosen as the victim runs again and succeeds.
 */
class EndpointDeadlockTest {

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
    void aDeleteCancelledByADeadlockRunsAgainAndSucceeds() throws Exception {
        String key = api.newUnlimitedOrganizationKey("deadlock");
        String endpoint = api.send("POST", "/v1/endpoints", key, "{\"url\":\"https://hooks.example.com/in\"}", Map.of())
                .json().get("id").stringValue();
        String event = api.send("POST", "/v1/events", key, "{\"event_type\":\"order.created\",\"payload\":{}}", Map.of())
                .json().get("event_id").stringValue();

        try (Connection other = DriverManager.getConnection(api.database.jdbcUrl(), api.database.user(), api.database.password())) {
            // Another transaction (as a worker's outcome statement would) holds the endpoint's delivery.
            other.setAutoCommit(false);
            try (PreparedStatement lock = other.prepareStatement(
                    "SELECT 1 FROM deliveries WHERE event_id = ?::uuid AND endpoint_id = ?::uuid FOR UPDATE")) {
                lock.setString(1, event);
                lock.setString(2, endpoint);
                lock.executeQuery().close();
            }
            // The delete locks the endpoint, then waits for that delivery.
            CompletableFuture<HttpResponse<String>> delete = api.sendAsync("DELETE", "/v1/endpoints/" + endpoint, key, null, Map.of());
            await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(api.queryText(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
                            + "AND query LIKE 'DELETE FROM endpoints%'")));
            // The other transaction now wants the endpoint's row: a deadlock. The delete waited first, so
            // its deadlock check (deadlock_timeout after its wait began) finds it, and it is cancelled.
            try (PreparedStatement lockEndpoint = other.prepareStatement("SELECT 1 FROM endpoints WHERE id = ?::uuid FOR UPDATE")) {
                lockEndpoint.setString(1, endpoint);
                lockEndpoint.executeQuery().close();
            } catch (SQLException deadlockVictim) {
                throw new AssertionError("the other transaction, not the delete, was cancelled (" + deadlockVictim.getSQLState()
                        + "): the test did not make the delete the victim", deadlockVictim);
            }
            other.rollback();

            HttpResponse<String> deleted = delete.get(20, TimeUnit.SECONDS);
            assertThat(deleted.statusCode()).as("DELETE answered %s", deleted.body()).isEqualTo(204);
        }
        assertThat(api.send("GET", "/v1/endpoints/" + endpoint, key, null, Map.of()).status()).isEqualTo(404);
        assertThat(api.queryText("SELECT count(*) FROM deliveries WHERE endpoint_id = ?::uuid", endpoint)).isEqualTo("0");
    }
}
