package io.triggers.api.web;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * Reads the fields of one JSON request object and collects every problem, so a client sees all
 * of them in one {@code 400} instead of one per round trip. Unknown fields are problems too.
 */
public final class RequestFields {

    private final JsonNode object;
    private final String path;
    private final List<FieldIssue> issues;
    private final List<String> messages;

    /** Validates {@code object}, which must be a JSON object, allowing only {@code allowed} fields. */
    public RequestFields(JsonNode object, Set<String> allowed) {
        this(object, allowed, "");
    }

    /**
     * As {@link #RequestFields(JsonNode, Set)}, naming fields under {@code path} ({@code events[3].}).
     */
    public RequestFields(JsonNode object, Set<String> allowed, String path) {
        this.object = object;
        this.path = path;
        this.issues = new ArrayList<>();
        this.messages = new ArrayList<>();
        for (String name : object.propertyNames()) {
            if (!allowed.contains(name)) {
                problem(name, "unknown_field", "unknown field " + path + name);
            }
        }
    }

    /** A string field; {@code null} when absent or JSON null and not required. */
    public String string(String field, boolean required, int maxLength, Pattern format) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                problem(field, "required", path + field + " is required");
            }
            return null;
        }
        if (!value.isString()) {
            problem(field, "invalid_type", path + field + " must be a string");
            return null;
        }
        String text = value.stringValue();
        if (required && text.isEmpty()) {
            problem(field, "required", path + field + " must not be empty");
            return null;
        }
        if (text.length() > maxLength) {
            problem(field, "too_long", path + field + " must be at most " + maxLength + " characters");
            return null;
        }
        if (format != null && !format.matcher(text).matches()) {
            problem(field, "invalid_format", path + field + " has an invalid format");
            return null;
        }
        return text;
    }

    /** A boolean field; {@code fallback} when absent. */
    public boolean bool(String field, boolean fallback) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isBoolean()) {
            problem(field, "invalid_type", path + field + " must be true or false");
            return fallback;
        }
        return value.booleanValue();
    }

    /** A non-negative integer field; {@code null} when absent or JSON null. */
    public Integer nonNegativeInt(String field) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 0) {
            problem(field, "invalid_value", path + field + " must be an integer from 0 to " + Integer.MAX_VALUE);
            return null;
        }
        return value.intValue();
    }

    /**
     * An integer field from {@code min} to {@code max}; {@code null} when absent or JSON null. Only a
     * JSON integer counts: {@code "5"} and {@code 5.0} are refused, not converted.
     */
    public Integer intBetween(String field, int min, int max) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        String message = path + field + " must be an integer from " + min + " to " + max;
        if (!value.isNumber()) {
            problem(field, "invalid_type", message);
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < min || value.intValue() > max) {
            problem(field, "invalid_value", message);
            return null;
        }
        return value.intValue();
    }

    /** An array of strings, each matching {@code format}; empty when absent. */
    public List<String> strings(String field, int maxItems, int maxLength, Pattern format) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            problem(field, "invalid_type", path + field + " must be an array of strings");
            return List.of();
        }
        if (value.size() > maxItems) {
            problem(field, "too_long", path + field + " must have at most " + maxItems + " items");
            return List.of();
        }
        List<String> items = new ArrayList<>(value.size());
        for (JsonNode item : value) {
            if (!item.isString() || item.stringValue().isEmpty() || item.stringValue().length() > maxLength
                    || !format.matcher(item.stringValue()).matches()) {
                problem(field, "invalid_format", path + field + " items must be strings of the form " + format.pattern());
                return List.of();
            }
            items.add(item.stringValue());
        }
        return List.copyOf(items);
    }

    /** The raw value of a field, for fields of any JSON type. */
    /** An RFC 3339 time, or null when absent (a problem when required). */
    public Instant time(String field, boolean required) {
        String text = string(field, required, 40, null);
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            problem(field, "invalid_format", field + " must be an RFC 3339 time such as 2026-11-22T10:15:30.123Z");
            return null;
        }
    }

    public JsonNode raw(String field) {
        return object.get(field);
    }

    /** Records a problem found by the caller's own rule. */
    public void problem(String field, String issue, String message) {
        issues.add(new FieldIssue(path + field, issue));
        messages.add(message);
    }

    public boolean valid() {
        return issues.isEmpty();
    }

    /** The problems found so far. */
    public List<FieldIssue> issues() {
        return List.copyOf(issues);
    }

    /** The collected problems as one {@code 400}, its message the first problem's. */
    public ApiException toException() {
        return ApiException.validation(messages.get(0), issues);
    }

    /** Throws the {@code 400} when anything was wrong. */
    public void throwIfInvalid() {
        if (!issues.isEmpty()) {
            throw toException();
        }
    }
}
