package io.triggers.api.eventtypes;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.ValidationLimitExceededException;
import io.triggers.api.web.ApiException;
import io.triggers.api.web.FieldIssue;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * One event type's compiled schema (thread-safe: compiled once, then only read), and what a payload
 * that does not match it is answered: a {@code 400 VALIDATION_ERROR} with one {@code details} item
 * per violation, {@code field} a JSON pointer into the payload ({@code ""} for the payload itself;
 * a missing or unexpected property is pointed at by its own name), {@code issue} the schema keyword
 * that failed ({@code type}, {@code required}, {@code minimum}, …), and a {@code message} of its own.
 */
public final class EventSchema {

    /** Most violations listed in one answer; the message counts the rest. */
    static final int MAX_DETAILS = 100;

    private final Schema schema;

    EventSchema(Schema schema) {
        this.schema = schema;
    }

    /** Null when {@code payload} matches; otherwise the {@code 400} to answer. */
    public ApiException check(String eventType, JsonNode payload) {
        List<Error> errors;
        try {
            errors = schema.validate(payload);
        } catch (ValidationLimitExceededException e) {
            String field = e.getInstanceLocation() == null ? "" : e.getInstanceLocation().toString();
            String message = "payload could not be checked against the schema of event type " + eventType + " within "
                    + SchemaCompiler.MAX_EVALUATION_STEPS + " steps and " + SchemaCompiler.MAX_EVALUATION_DEPTH + " levels of evaluation";
            return ApiException.validation(message, List.of(new FieldIssue(field, "too_complex", message)));
        }
        if (errors.isEmpty()) {
            return null;
        }
        List<FieldIssue> details = new ArrayList<>(Math.min(errors.size(), MAX_DETAILS));
        for (int i = 0; i < errors.size() && i < MAX_DETAILS; i++) {
            Error error = errors.get(i);
            details.add(new FieldIssue(field(error), error.getKeyword(), message(error)));
        }
        FieldIssue first = details.get(0);
        String message = "payload does not match the schema of event type " + eventType + ": "
                + (first.field().isEmpty() ? "payload" : first.field()) + ": " + first.message()
                + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : "");
        return ApiException.validation(message, details);
    }

    /**
     * Where the violation is: the value's location, or, when a property is missing ({@code required},
     * {@code dependentRequired}) or not allowed ({@code additionalProperties},
     * {@code unevaluatedProperties}, {@code propertyNames}), that property's.
     */
    private static String field(Error error) {
        String at = error.getInstanceLocation().toString();
        String keyword = error.getKeyword();
        if (("required".equals(keyword) || "dependentRequired".equals(keyword))
                && error.getArguments() != null && error.getArguments().length > 0 && error.getArguments()[0] != null) {
            return at + "/" + escape(error.getArguments()[0].toString());
        }
        String property = error.getProperty();
        return property == null ? at : at + "/" + escape(property);
    }

    private static String message(Error error) {
        if ("false".equals(error.getKeyword())) {
            return "no value is allowed here (the schema is false)";
        }
        return error.getMessage();
    }

    /** A property name as one JSON pointer token (RFC 6901). */
    static String escape(String name) {
        return name.indexOf('~') < 0 && name.indexOf('/') < 0 ? name : name.replace("~", "~0").replace("/", "~1");
    }
}
