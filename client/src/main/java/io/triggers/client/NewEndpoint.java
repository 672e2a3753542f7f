package io.triggers.client;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An endpoint to create. {@code options} holds the rest of the contract's endpoint fields by their
 * JSON names ({@code headers}, {@code filter}, {@code retry_schedule}, {@code rate_limit_per_second},
 * {@code max_in_flight}).
 */
public record NewEndpoint(String url, String description, List<String> eventTypes, Boolean enabled, Map<String, ?> options) {

    public NewEndpoint {
        Objects.requireNonNull(url, "url");
    }

    /** An endpoint for every event type. */
    public static NewEndpoint of(String url) {
        return new NewEndpoint(url, null, null, null, null);
    }

    public NewEndpoint withDescription(String description) {
        return new NewEndpoint(url, description, eventTypes, enabled, options);
    }

    /** Names or {@code prefix.*} patterns; none means every event. */
    public NewEndpoint withEventTypes(List<String> eventTypes) {
        return new NewEndpoint(url, description, eventTypes, enabled, options);
    }

    public NewEndpoint withEnabled(boolean enabled) {
        return new NewEndpoint(url, description, eventTypes, enabled, options);
    }

    public NewEndpoint withOptions(Map<String, ?> options) {
        return new NewEndpoint(url, description, eventTypes, enabled, options);
    }
}
