package io.triggers.api.web;

import java.util.UUID;
import java.util.regex.Pattern;

/** Ids in paths: one that is not a UUID names nothing, so it is a 404 like a missing one. */
public final class PathIds {

    /** A UUID as text, for validating id lists in bodies before parsing them. */
    public static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private PathIds() {
    }

    /** The id, or a 404 that names {@code what} ("event", "endpoint", …). */
    public static UUID parse(String id, String what) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw notFound(what, id);
        }
    }

    /** The 404 for an id of {@code what} that does not exist (or is another organization's). */
    public static ApiException notFound(String what, String id) {
        return ApiException.notFound(what + " " + id + " not found");
    }
}
