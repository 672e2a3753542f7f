package io.triggers.shared.storage;

import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTransientException;
import java.util.concurrent.TimeoutException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;

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
}
