package io.triggers.shared.storage;

import org.springframework.dao.TransientDataAccessResourceException;

/** A {@link Coalescer}'s queue is full: the database is not keeping up (or not answering); retry shortly. */
public final class StorageBusy extends TransientDataAccessResourceException {

    public StorageBusy(String what) {
        super(what + ": too much is waiting for PostgreSQL");
    }
}
