package io.triggers.worker.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import io.r2dbc.spi.R2dbcException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.QueryTimeoutException;

/** Which failures pause delivery: the ones waiting cures, not data errors. */
class DatabaseGateTest {

    @Test
    void anUnreachableShuttingDownOrSlowDatabaseIsAStorageFailure() {
        assertThat(DatabaseGate.isStorageFailure(new DataAccessResourceFailureException("Failed to obtain R2DBC Connection"))).isTrue();
        assertThat(DatabaseGate.isStorageFailure(new QueryTimeoutException("slow"))).isTrue();
        assertThat(DatabaseGate.isStorageFailure(new TimeoutException())).isTrue();
        assertThat(DatabaseGate.isStorageFailure(new IllegalStateException(new R2dbcException("terminating connection", "57P01") {
        }))).isTrue();
        assertThat(DatabaseGate.isStorageFailure(new R2dbcException("too many connections", "53300") {
        })).isTrue();
    }

    @Test
    void aDataOrConstraintErrorIsNot() {
        assertThat(DatabaseGate.isStorageFailure(new DataIntegrityViolationException("duplicate key"))).isFalse();
        assertThat(DatabaseGate.isStorageFailure(new R2dbcDataIntegrityViolationException("violates foreign key", "23503"))).isFalse();
        assertThat(DatabaseGate.isStorageFailure(new IllegalArgumentException("bug"))).isFalse();
    }
}
