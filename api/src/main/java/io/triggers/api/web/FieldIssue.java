package io.triggers.api.web;

/** One entry of an error body's {@code details}: which field, and what is wrong with it. */
public record FieldIssue(String field, String issue) {
}
