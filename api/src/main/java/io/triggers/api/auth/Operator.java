package io.triggers.api.auth;

import io.triggers.api.web.ApiException;
import org.springframework.web.server.ServerWebExchange;

/**
 * The operator, put on an exchange by {@link Authentication} once the admin token was checked, and
 * only then. Operator handlers ask for it themselves, so that a mistake in the filter alone can
 * never again let a call reach them.
 */
public record Operator() {

    /** The exchange attribute the operator is kept under. */
    public static final String ATTRIBUTE = "io.triggers.api.auth.Operator";

    static final Operator AUTHENTICATED = new Operator();

    /**
     * Refuses a call that reached an operator handler without the admin token having been checked,
     * with the 404 of an api whose operator calls are off.
     */
    public static void require(ServerWebExchange exchange) {
        if (!(exchange.getAttribute(ATTRIBUTE) instanceof Operator)) {
            throw ApiException.notFound("no such resource: " + exchange.getRequest().getPath().value());
        }
    }
}
