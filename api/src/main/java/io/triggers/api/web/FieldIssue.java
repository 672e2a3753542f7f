package io.triggers.api.web;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One entry of an error body's {@code details}: which field, and what is wrong with it; a
 * {@code message} of its own only where one error has several kinds of problem (a payload against
 * its event type's schema), otherwise absent.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FieldIssue(String field, String issue, String message) {

    public FieldIssue(String field, String issue) {
        this(field, issue, null);
    }
}
