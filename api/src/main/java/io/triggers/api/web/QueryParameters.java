package io.triggers.api.web;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.util.MultiValueMap;

/**
 * The query parameters of a listing call, validated against what the route takes: unknown or
 * repeated names and every malformed value are collected, then answered as one {@code 400} with
 * a detail per problem ({@link #throwIfInvalid()}).
 */
public final class QueryParameters {

    private final MultiValueMap<String, String> parameters;
    private final List<FieldIssue> issues = new ArrayList<>();
    private final List<String> messages = new ArrayList<>();

    public QueryParameters(MultiValueMap<String, String> parameters, Set<String> accepted) {
        this.parameters = parameters;
        for (String name : parameters.keySet()) {
            if (!accepted.contains(name)) {
                problem(name, "unknown_parameter", "unknown query parameter " + name);
            } else if (parameters.get(name).size() > 1) {
                problem(name, "repeated", name + " may be given once");
            }
        }
    }

    /** The raw value, or null when absent. */
    public String get(String name) {
        return parameters.getFirst(name);
    }

    public void problem(String name, String issue, String message) {
        issues.add(new FieldIssue(name, issue));
        messages.add(message);
    }

    /** A page size from 1 to {@code max}; {@code fallback} when absent. */
    public int limit(int fallback, int max) {
        String value = get("limit");
        if (value == null) {
            return fallback;
        }
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= max) {
                return limit;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        problem("limit", "invalid_value", "limit must be an integer from 1 to " + max);
        return fallback;
    }

    /** The value when it matches {@code pattern} in full; null when absent or not ({@code what} says what it must be). */
    public String matching(String name, Pattern pattern, String what) {
        String value = get(name);
        if (value != null && !pattern.matcher(value).matches()) {
            problem(name, "invalid_value", name + " must be " + what);
            return null;
        }
        return value;
    }

    /** A text of 1 to {@code maxLength} characters, or null when absent. */
    public String text(String name, int maxLength) {
        String value = get(name);
        if (value != null && (value.isEmpty() || value.length() > maxLength)) {
            problem(name, "invalid_value", name + " must be 1 to " + maxLength + " characters");
            return null;
        }
        return value;
    }

    /** An RFC 3339 time, or null when absent. */
    public Instant time(String name) {
        String value = get(name);
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            problem(name, "invalid_format", name + " must be an RFC 3339 time such as 2026-11-22T10:15:30.123Z");
            return null;
        }
    }

    /** A UUID, or null when absent. */
    public UUID uuid(String name) {
        String value = get(name);
        if (value != null && !PathIds.UUID_TEXT.matcher(value).matches()) {
            problem(name, "invalid_value", name + " must be a UUID");
            return null;
        }
        return value == null ? null : UUID.fromString(value);
    }

    /** True for {@code order=desc}, false for {@code asc}; {@code descendingByDefault} when absent. */
    public boolean descending(boolean descendingByDefault) {
        String order = get("order");
        if (order == null) {
            return descendingByDefault;
        }
        if (!order.equals("asc") && !order.equals("desc")) {
            problem("order", "invalid_value", "order must be asc or desc");
        }
        return "desc".equals(order);
    }

    /** A {@code 400} naming every problem found, if there was any. */
    public void throwIfInvalid() {
        if (!issues.isEmpty()) {
            throw ApiException.validation(messages.get(0), List.copyOf(issues));
        }
    }
}
