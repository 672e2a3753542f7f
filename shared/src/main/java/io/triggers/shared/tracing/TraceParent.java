package io.triggers.shared.tracing;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A W3C Trace Context {@code traceparent} (version {@code 00}): the trace, the span that is the parent
 * of whatever is done next, and whether the trace is sampled. An event stores one naming the api's
 * ingest span (unless its trace was the api's own and not sampled); each delivery attempt sends one
 * naming its own span.
 *
 * @param traceId 32 lowercase hex digits, not all zero
 * @param spanId  16 lowercase hex digits, not all zero
 * @param sampled the {@code sampled} flag
 */
public record TraceParent(String traceId, String spanId, boolean sampled) {

    /** The header (and the name of the field it travels in). */
    public static final String HEADER = "traceparent";

    private static final int LENGTH = 55;

    /**
     * The trace context of a {@code traceparent} header, or null when there is none or it is not
     * valid (then, as the recommendation says, a new trace is started). A version above {@code 00}
     * is read as {@code 00} when it starts like one.
     */
    public static TraceParent parse(String header) {
        if (header == null || header.length() < LENGTH) {
            return null;
        }
        String text = header.strip();
        if (text.length() < LENGTH || !isHex(text, 0, 2) || text.startsWith("ff")
                || text.charAt(2) != '-' || text.charAt(35) != '-' || text.charAt(52) != '-') {
            return null;
        }
        boolean version00 = text.startsWith("00");
        if (version00 ? text.length() != LENGTH : text.length() > LENGTH && text.charAt(LENGTH) != '-') {
            return null;
        }
        String traceId = text.substring(3, 35);
        String spanId = text.substring(36, 52);
        if (!isHex(text, 3, 35) || !isHex(text, 36, 52) || !isHex(text, 53, 55) || isZero(traceId) || isZero(spanId)) {
            return null;
        }
        boolean sampled = (Character.digit(text.charAt(54), 16) & 1) == 1;
        return new TraceParent(traceId, spanId, sampled);
    }

    /**
     * The trace of an event stored without a trace context (one stored before tracing, or an
     * operational event): its id is the trace id, so every attempt of it falls in one trace. Not sampled.
     */
    public static TraceParent ofEvent(UUID eventId) {
        return new TraceParent(hex(eventId.getMostSignificantBits()) + hex(eventId.getLeastSignificantBits()), newSpanId(), false);
    }

    /** A new span id: 16 lowercase hex digits, not all zero. */
    public static String newSpanId() {
        long id;
        do {
            id = ThreadLocalRandom.current().nextLong();
        } while (id == 0);
        return hex(id);
    }

    /** The same trace and flags with another span as the parent. */
    public TraceParent withSpan(String otherSpanId) {
        return new TraceParent(traceId, otherSpanId, sampled);
    }

    /** The header's value. */
    public String header() {
        return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
    }

    @Override
    public String toString() {
        return header();
    }

    private static String hex(long value) {
        String digits = Long.toHexString(value);
        return digits.length() == 16 ? digits : "0".repeat(16 - digits.length()) + digits;
    }

    private static boolean isHex(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isZero(String digits) {
        for (int i = 0; i < digits.length(); i++) {
            if (digits.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }
}
