package io.triggers.shared.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import io.r2dbc.spi.R2dbcException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.QueryTimeoutException;

/** Which failures are storage failures (delivery pauses, a shared statement fails everyone): the ones waiting cures, not data errors. */
class StorageFailuresTest {

    @Test
    void anUnreachableShuttingDownOrSlowDatabaseIsAStorageFailure() {
        assertThat(StorageFailures.isStorageFailure(new DataAccessResourceFailureException("Failed to obtain R2DBC Connection"))).isTrue();
        assertThat(StorageFailures.isStorageFailure(new QueryTimeoutException("slow"))).isTrue();
        assertThat(StorageFailures.isStorageFailure(new TimeoutException())).isTrue();
        assertThat(StorageFailures.isStorageFailure(new IllegalStateException(new R2dbcException("terminating connection", "57P01") {
        }))).isTrue();
        assertThat(StorageFailures.isStorageFailure(new R2dbcException("too many connections", "53300") {
        })).isTrue();
    }

    @Test
    void aDataOrConstraintErrorIsNot() {
        assertThat(StorageFailures.isStorageFailure(new DataIntegrityViolationException("duplicate key"))).isFalse();
        assertThat(StorageFailures.isStorageFailure(new R2dbcDataIntegrityViolationException("violates foreign key", "23503"))).isFalse();
        assertThat(StorageFailures.isStorageFailure(new IllegalArgumentException("bug"))).isFalse();
    }
}
