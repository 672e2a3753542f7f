package io.triggers.client;

import java.time.Instant;
import java.util.List;

/** The answers of the acknowledge calls. */
public final class Acknowledged {

    private Acknowledged() {
    }

    /** One event acknowledged; repeating the call answers the first {@code acknowledgedAt}. */
    public record One(String eventId, String status, Instant acknowledgedAt) {
    }

    /** Several: which were acknowledged, and which the organization has no such event. */
    public record Many(List<String> acknowledged, List<String> notFound) {
    }
}
