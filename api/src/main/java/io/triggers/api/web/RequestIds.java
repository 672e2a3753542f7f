package io.triggers.api.web;

import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Gives every request an id: the caller's {@code X-Request-ID} when it is sane (1–128 visible
 * ASCII characters), a new UUID otherwise. It is echoed on every answer, errors included.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public final class RequestIds implements WebFilter {

    public static final String HEADER = "X-Request-ID";
    private static final String ATTRIBUTE = RequestIds.class.getName() + ".id";
    private static final Pattern SANE = Pattern.compile("[\\x21-\\x7E]{1,128}");

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String given = exchange.getRequest().getHeaders().getFirst(HEADER);
        String id = given != null && SANE.matcher(given).matches() ? given : UUID.randomUUID().toString();
        exchange.getAttributes().put(ATTRIBUTE, id);
        exchange.getResponse().getHeaders().set(HEADER, id);
        return chain.filter(exchange);
    }

    /** This request's id; one is made up if the filter has not run (errors before any filter). */
    public static String of(ServerWebExchange exchange) {
        Object id = exchange.getAttributes().computeIfAbsent(ATTRIBUTE, key -> UUID.randomUUID().toString());
        return id.toString();
    }
}
