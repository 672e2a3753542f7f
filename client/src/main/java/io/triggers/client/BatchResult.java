package io.triggers.client;

import java.util.List;

/**
 * The outcome of a batch, one item per event in the order sent. Items that failed with a status
 * worth retrying (429, 503, 409 for a key in flight) were sent again, alone, under the same keys,
 * until they succeeded or the deadline passed.
 */
public record BatchResult(List<Item> items) {

    /**
     * One event's outcome: {@code status} 201 (stored) or 200 (its key had been seen: the original
     * event), with {@code eventId}; or the error status with {@code error}.
     */
    public record Item(int index, int status, String eventId, String idempotencyKey, TriggersException error) {

        public boolean succeeded() {
            return error == null;
        }
    }

    public boolean allSucceeded() {
        return items.stream().allMatch(Item::succeeded);
    }

    /** The event ids of the successful items, in order. */
    public List<String> eventIds() {
        return items.stream().filter(Item::succeeded).map(Item::eventId).toList();
    }
}
