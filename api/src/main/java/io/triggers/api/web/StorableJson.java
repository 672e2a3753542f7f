package io.triggers.api.web;

import java.math.BigDecimal;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Whether a JSON value can be stored in PostgreSQL as it is: {@code jsonb} and {@code text}
 * refuse the NUL character and unpaired surrogates, and {@code numeric} (which holds jsonb
 * numbers) refuses more than 131072 digits before the point or 16383 after it. Checked before
 * storing, so such input is a 400 and never a failed insert.
 */
public final class StorableJson {

    private static final int MAX_INTEGER_DIGITS = 131_072;
    private static final int MAX_FRACTION_DIGITS = 16_383;

    private StorableJson() {
    }

    /** Records a problem on {@code fields} when the value (or a part of it) cannot be stored. */
    public static void check(JsonNode value, String field, RequestFields fields) {
        String problem = problem(value);
        if (problem != null) {
            fields.problem(field, "unsupported_value", field + " " + problem);
        }
    }

    /** Records a problem when a string cannot be stored as text. */
    public static void checkText(String value, String field, RequestFields fields) {
        if (value != null && !storable(value)) {
            fields.problem(field, "unsupported_value", field + " contains a NUL character or an unpaired surrogate");
        }
    }

    private static String problem(JsonNode value) {
        if (value == null) {
            return null;
        }
        if (value.isString()) {
            return storable(value.stringValue()) ? null : "contains a NUL character or an unpaired surrogate";
        }
        if (value.isNumber()) {
            return storableNumber(value) ? null : "contains a number too large or too precise to store";
        }
        if (value.isObject()) {
            for (Map.Entry<String, JsonNode> property : value.properties()) {
                if (!storable(property.getKey())) {
                    return "contains a property name with a NUL character or an unpaired surrogate";
                }
                String inner = problem(property.getValue());
                if (inner != null) {
                    return inner;
                }
            }
        } else if (value.isArray()) {
            for (JsonNode item : value) {
                String inner = problem(item);
                if (inner != null) {
                    return inner;
                }
            }
        }
        return null;
    }

    private static boolean storableNumber(JsonNode number) {
        if (number.isDouble() || number.isFloat()) {
            return Double.isFinite(number.doubleValue());
        }
        if (number.isBigDecimal()) {
            BigDecimal decimal = number.decimalValue();
            return decimal.precision() - decimal.scale() <= MAX_INTEGER_DIGITS && decimal.scale() <= MAX_FRACTION_DIGITS;
        }
        return true;
    }

    static boolean storable(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\u0000') {
                return false;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }
}
