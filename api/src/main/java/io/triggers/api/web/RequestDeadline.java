package io.triggers.api.web;

import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * No request waits forever: one that has not been answered within
 * {@code triggers.api.request-timeout} (10 s) is answered {@code 503} with {@code Retry-After}.
 * Ingestion has its own, shorter bound on PostgreSQL ({@code triggers.ingest.store-timeout}); this
 * is the backstop for every other call when a dependency hangs instead of failing.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
public final class RequestDeadline implements WebFilter {

    private final Duration timeout;

    public RequestDeadline(@Value("${triggers.api.request-timeout:10s}") Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("triggers.api.request-timeout must be positive");
        }
        this.timeout = timeout;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        return chain.filter(exchange).timeout(timeout, Mono.defer(() -> exchange.getResponse().isCommitted()
                ? Mono.empty()
                : Mono.error(ApiException.serviceUnavailable("the request did not complete within " + timeout.toMillis()
                        + " ms; a dependency may be unavailable; retry shortly", 2))));
    }
}
