package io.triggers.api.endpoints;

import io.triggers.api.web.RequestFields;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * An endpoint's {@code filter}: conditions on the event's envelope {@code {type, source, data,
 * metadata}}, all of which must hold, compiled to one PostgreSQL jsonpath predicate that ingestion
 * matches the envelope with ({@code jsonb_path_match}, silent). A key is a dotted path into the
 * envelope; its value is a bare JSON value ({@code $eq}) or an object of operators: {@code $eq $ne
 * $gt $gte $lt $lte} take a string, number, boolean or null ({@code $gt} and friends a string or a
 * number), {@code $in $nin} a non-empty array of those, {@code $exists} true or false. As in
 * MongoDB, {@code $ne} and {@code $nin} also hold when the path is absent, and a condition on a
 * path that holds an array holds when it holds for an element. Values of another type than the
 * comparison's never match (no error).
 */
final class EndpointFilter {

    static final int MAX_CONDITIONS = 20;
    static final int MAX_IN = 100;
    private static final int MAX_PATH = 256;
    private static final Set<String> ROOTS = Set.of("type", "source", "data", "metadata");
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Map<String, String> COMPARISONS = Map.of("$eq", "==", "$ne", "==", "$gt", ">", "$gte", ">=", "$lt", "<",
            "$lte", "<=");

    private EndpointFilter() {
    }

    /**
     * The filter compiled, or null when absent or null; every problem goes on {@code fields} under
     * {@code filter} or {@code filter.<key>} (and the result is then meaningless).
     */
    static String compile(RequestFields fields) {
        JsonNode filter = fields.raw("filter");
        if (filter == null || filter.isNull()) {
            return null;
        }
        if (!filter.isObject()) {
            fields.problem("filter", "invalid_type", "filter must be an object of conditions");
            return null;
        }
        if (filter.isEmpty() || filter.size() > MAX_CONDITIONS) {
            fields.problem("filter", "invalid_size", "filter must hold 1 to " + MAX_CONDITIONS + " conditions");
            return null;
        }
        List<String> conditions = new ArrayList<>();
        for (Map.Entry<String, JsonNode> condition : filter.properties()) {
            String key = condition.getKey();
            String field = "filter." + key;
            String path = path(key);
            if (path == null) {
                fields.problem(field, "invalid_path", "filter keys are dotted paths into type, source, data or metadata"
                        + " (segments of letters, digits, _ and -), e.g. data.amount");
                continue;
            }
            JsonNode value = condition.getValue();
            if (value.isObject()) {
                if (value.isEmpty()) {
                    fields.problem(field, "invalid_value", field + " must name at least one operator");
                }
                for (Map.Entry<String, JsonNode> operator : value.properties()) {
                    String compiled = operator(path, operator.getKey(), operator.getValue());
                    if (compiled == null) {
                        fields.problem(field + "." + operator.getKey(), "invalid_value", problem(operator.getKey()));
                    } else {
                        conditions.add(compiled);
                    }
                }
            } else {
                String literal = literal(value, false);
                if (literal == null) {
                    fields.problem(field, "invalid_value", field + " must be a string, number, boolean, null or an object of operators");
                } else {
                    conditions.add(any(path, "@ == " + literal));
                }
            }
        }
        return String.join(" && ", conditions);
    }

    private static String problem(String operator) {
        return switch (operator) {
            case "$eq", "$ne" -> operator + " takes a string, number, boolean or null";
            case "$gt", "$gte", "$lt", "$lte" -> operator + " takes a string or a number";
            case "$in", "$nin" -> operator + " takes an array of 1 to " + MAX_IN + " strings, numbers, booleans or nulls";
            case "$exists" -> "$exists takes true or false";
            default -> "unknown operator " + operator + "; use $eq $ne $gt $gte $lt $lte $in $nin $exists";
        };
    }

    private static String operator(String path, String operator, JsonNode value) {
        switch (operator) {
            case "$eq", "$ne", "$gt", "$gte", "$lt", "$lte" -> {
                boolean ordered = !operator.equals("$eq") && !operator.equals("$ne");
                String literal = literal(value, ordered);
                if (literal == null) {
                    return null;
                }
                String matches = any(path, "@ " + COMPARISONS.get(operator) + " " + literal);
                return operator.equals("$ne") ? "!(" + matches + ")" : matches;
            }
            case "$in", "$nin" -> {
                if (!value.isArray() || value.isEmpty() || value.size() > MAX_IN) {
                    return null;
                }
                List<String> alternatives = new ArrayList<>();
                for (JsonNode item : value) {
                    String literal = literal(item, false);
                    if (literal == null) {
                        return null;
                    }
                    alternatives.add("@ == " + literal);
                }
                String matches = any(path, String.join(" || ", alternatives));
                return operator.equals("$nin") ? "!(" + matches + ")" : matches;
            }
            case "$exists" -> {
                if (!value.isBoolean()) {
                    return null;
                }
                return value.booleanValue() ? "exists(" + path + ")" : "!(exists(" + path + "))";
            }
            default -> {
                return null;
            }
        }
    }

    /** Holds when some value at the path satisfies the predicate (lax mode: an array's elements count). */
    private static String any(String path, String predicate) {
        return "exists(" + path + " ? (" + predicate + "))";
    }

    /** {@code $."data"."amount"} for {@code data.amount}; null when the key is not such a path. */
    static String path(String key) {
        if (key.length() > MAX_PATH) {
            return null;
        }
        String[] segments = key.split("\\.", -1);
        if (!ROOTS.contains(segments[0])) {
            return null;
        }
        StringBuilder path = new StringBuilder("$");
        for (String segment : segments) {
            if (!SEGMENT.matcher(segment).matches()) {
                return null;
            }
            path.append(".\"").append(segment).append('"');
        }
        return path.toString();
    }

    /** A jsonpath literal for a JSON scalar; null when the value is not one (or not a string or number, when ordered). */
    static String literal(JsonNode value, boolean ordered) {
        if (value.isString()) {
            return quote(value.stringValue());
        }
        if (value.isNumber()) {
            // BigDecimal's plain form is a number jsonpath reads (no exponent); absurdly long ones are refused.
            String number = value.decimalValue().toPlainString();
            return number.length() <= 64 ? number : null;
        }
        if (ordered) {
            return null;
        }
        if (value.isBoolean()) {
            return value.booleanValue() ? "true" : "false";
        }
        if (value.isNull()) {
            return "null";
        }
        return null;
    }

    /** A jsonpath string literal: double quotes, with backslash escapes for quotes, backslashes and control characters. */
    static String quote(String text) {
        StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }
}
