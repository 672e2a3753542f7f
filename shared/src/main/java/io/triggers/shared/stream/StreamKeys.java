package io.triggers.shared.stream;

/**
 * Redis key names. Every key the service touches starts with one prefix ({@code triggers} by
 * default), so several installations, or test runs, can share one Redis.
 *
 * @param prefix the key prefix, without the trailing colon
 */
public record StreamKeys(String prefix) {

    /** The consumer group every worker replica joins. */
    public static final String DELIVERY_GROUP = "deliverers";

    public StreamKeys {
        if (prefix == null || prefix.isBlank()) {
            throw new IllegalArgumentException("the Redis key prefix must not be blank");
        }
    }

    /** The stream of events waiting for delivery: {@code <prefix>:events}. */
    public String events() {
        return prefix + ":events";
    }

    /** The stream dead-lettered entries are copied to: {@code <prefix>:dead}. */
    public String dead() {
        return prefix + ":dead";
    }
}
