package io.triggers.shared.storage;

import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTransientException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import reactor.util.retry.Retry;
import reactor.util.retry.RetryBackoffSpec;

/** Telling a database that is down or overwhelmed from a statement that is wrong. */
public final class StorageFailures {

    private StorageFailures() {
    }

    /**
     * Whether the failure says PostgreSQL is unreachable, shutting down, out of resources or too
     * slow (or this process's queue for it is full): something waiting will cure. A data or
     * constraint error is not one.
     */
    public static boolean isStorageFailure(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof DataAccessResourceFailureException
                    || cause instanceof TransientDataAccessException
                    || cause instanceof R2dbcNonTransientResourceException
                    || cause instanceof R2dbcTransientException
                    || cause instanceof TimeoutException) {
                return true;
            }
            if (cause instanceof R2dbcException r2dbc && r2dbc.getSqlState() != null
                    && (r2dbc.getSqlState().startsWith("08") || r2dbc.getSqlState().startsWith("53") || r2dbc.getSqlState().startsWith("57"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether PostgreSQL aborted the statement's transaction because of other transactions, not
     * because of the statement: a deadlock (40P01, it was chosen to be cancelled) or a
     * serialization failure (40001). The same statement in a new transaction succeeds.
     */
    public static boolean isConflict(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof R2dbcException r2dbc && ("40P01".equals(r2dbc.getSqlState()) || "40001".equals(r2dbc.getSqlState()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs a statement that is a transaction of its own again when it lost a {@linkplain #isConflict
     * conflict} (up to three more times, 20 ms apart and more, with jitter); the last failure is
     * passed on as it was. Not for a statement inside a larger transaction: the whole transaction
     * was aborted, so only all of it can be retried.
     */
    public static RetryBackoffSpec retryConflicts() {
        return Retry.backoff(3, Duration.ofMillis(20)).jitter(0.5).filter(StorageFailures::isConflict)
                .onRetryExhaustedThrow((spec, signal) -> signal.failure());
    }
}
