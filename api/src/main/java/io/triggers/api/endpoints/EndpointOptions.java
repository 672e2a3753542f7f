package io.triggers.api.endpoints;

import io.triggers.api.web.RequestFields;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * The endpoint options {@code headers} and {@code retry_schedule}: their rules, and how they are
 * shown (header values masked, schedule steps as {@code 5s}, {@code 1m}, …). The {@code filter}
 * is {@link EndpointFilter}'s.
 */
final class EndpointOptions {

    static final int MAX_HEADERS = 20;
    static final int MAX_HEADER_VALUE = 1024;
    static final int MAX_SCHEDULE_STEPS = 30;
    static final Duration MIN_STEP = Duration.ofMillis(100);
    static final Duration MAX_STEP = Duration.ofDays(7);
    /** An HTTP token (RFC 9110), at most 128 characters. */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}");
    /** Header names the service sets itself, or that belong to the connection, never to a receiver's option. */
    private static final Set<String> RESERVED = Set.of("content-type", "content-length", "user-agent", "host", "traceparent",
            "tracestate", "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "expect");
    private static final Pattern STEP = Pattern.compile("([0-9]{1,9})(ms|s|m|h|d)");

    private EndpointOptions() {
    }

    /**
     * The static headers given under {@code headers}: null when absent or null (none), otherwise
     * the names and values in their order. Every problem goes on {@code fields}.
     */
    static Map<String, String> headers(RequestFields fields) {
        JsonNode headers = fields.raw("headers");
        if (headers == null || headers.isNull()) {
            return null;
        }
        if (!headers.isObject()) {
            fields.problem("headers", "invalid_type", "headers must be an object of header names to values");
            return null;
        }
        if (headers.size() > MAX_HEADERS) {
            fields.problem("headers", "invalid_size", "headers may hold at most " + MAX_HEADERS + " headers");
            return null;
        }
        Map<String, String> result = new LinkedHashMap<>();
        Set<String> seen = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        for (Map.Entry<String, JsonNode> header : headers.properties()) {
            String name = header.getKey();
            String field = "headers." + name;
            String lower = name.toLowerCase(Locale.ROOT);
            if (!TOKEN.matcher(name).matches()) {
                fields.problem(field, "invalid_name", "header names are HTTP tokens of 1 to 128 characters");
            } else if (RESERVED.contains(lower) || lower.startsWith("webhook-")) {
                fields.problem(field, "reserved", name + " is set by the service (or belongs to the connection) and cannot be given");
            } else if (!seen.add(name)) {
                fields.problem(field, "duplicate", "header names are case-insensitive: " + name + " is given twice");
            }
            JsonNode value = header.getValue();
            if (!value.isString()) {
                fields.problem(field, "invalid_type", "header values must be strings");
                continue;
            }
            String text = value.stringValue();
            if (text.length() > MAX_HEADER_VALUE) {
                fields.problem(field, "too_long", "header values are at most " + MAX_HEADER_VALUE + " characters");
            } else if (!visible(text)) {
                fields.problem(field, "invalid_value", "header values are visible ASCII characters, spaces and tabs");
            }
            result.put(name, text);
        }
        return result;
    }

    /** Visible ASCII, space and tab, not starting or ending with whitespace: nothing that could split or smuggle a header. */
    private static boolean visible(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '\t' && (c < 0x20 || c > 0x7E)) {
                return false;
            }
        }
        return text.isEmpty() || (!Character.isWhitespace(text.charAt(0)) && !Character.isWhitespace(text.charAt(text.length() - 1)));
    }

    /** How a header value is shown on read: its last 4 characters after {@code ****} (all masked when it has 8 or fewer). */
    static String mask(String value) {
        return value.length() <= 8 ? "****" : "****" + value.substring(value.length() - 4);
    }

    static Map<String, String> masked(Map<String, String> headers) {
        Map<String, String> shown = new LinkedHashMap<>();
        if (headers != null) {
            headers.forEach((name, value) -> shown.put(name, mask(value)));
        }
        return shown;
    }

    /**
     * The endpoint's own retry schedule under {@code retry_schedule}: null when absent or null (the
     * service's), otherwise its steps. Every problem goes on {@code fields}.
     */
    static List<Duration> retrySchedule(RequestFields fields) {
        JsonNode schedule = fields.raw("retry_schedule");
        if (schedule == null || schedule.isNull()) {
            return null;
        }
        String rule = "retry_schedule must be an array of 1 to " + MAX_SCHEDULE_STEPS + " waits such as \"500ms\", \"5s\", \"1m\", \"2h\", \"1d\", each from "
                + MIN_STEP.toMillis() + "ms to " + MAX_STEP.toDays() + "d";
        if (!schedule.isArray() || schedule.isEmpty() || schedule.size() > MAX_SCHEDULE_STEPS) {
            fields.problem("retry_schedule", "invalid_value", rule);
            return null;
        }
        List<Duration> steps = new ArrayList<>();
        for (JsonNode step : schedule) {
            Duration wait = step.isString() ? step(step.stringValue()) : null;
            if (wait == null || wait.compareTo(MIN_STEP) < 0 || wait.compareTo(MAX_STEP) > 0) {
                fields.problem("retry_schedule", "invalid_value", rule);
                return null;
            }
            steps.add(wait);
        }
        return steps;
    }

    private static Duration step(String text) {
        Matcher step = STEP.matcher(text);
        if (!step.matches()) {
            return null;
        }
        long amount = Long.parseLong(step.group(1));
        return switch (step.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
    }

    /** A schedule as shown: each step in the largest unit that divides it ({@code 90s}, {@code 2h}, {@code 500ms}). */
    static List<String> shown(List<Duration> schedule) {
        if (schedule == null) {
            return null;
        }
        List<String> shown = new ArrayList<>();
        for (Duration step : schedule) {
            long ms = step.toMillis();
            if (ms % 86_400_000 == 0) {
                shown.add(ms / 86_400_000 + "d");
            } else if (ms % 3_600_000 == 0) {
                shown.add(ms / 3_600_000 + "h");
            } else if (ms % 60_000 == 0) {
                shown.add(ms / 60_000 + "m");
            } else if (ms % 1000 == 0) {
                shown.add(ms / 1000 + "s");
            } else {
                shown.add(ms + "ms");
            }
        }
        return shown;
    }
}
