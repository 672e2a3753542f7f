package io.triggers.api.web;

import java.util.UUID;

/** Ids in paths: one that is not a UUID names nothing, so it is a 404 like a missing one. */
public final class PathIds {

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
