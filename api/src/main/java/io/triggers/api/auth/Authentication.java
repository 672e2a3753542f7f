package io.triggers.api.auth;

import io.triggers.api.keys.ApiKeys;
import io.triggers.api.keys.KeyResolver;
import io.triggers.api.ratelimit.RateLimiter;
import io.triggers.api.web.ApiException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Who may call what. {@code /v1/organizations} takes the operator's admin token (and answers 404
 * when none is configured); {@code /v1/health} is open; every other {@code /v1} path takes an API
 * key in {@code Authorization: Bearer} or {@code X-API-Key} and puts its {@link Tenant} on the
 * exchange. Paths outside {@code /v1} (actuator, OpenAPI) are not this filter's business.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public final class Authentication implements WebFilter {

    private static final String BEARER = "bearer ";

    /** Batches are charged one unit per item by their handler, once the items are counted. */
    private static final String BATCH_PATH = "/v1/events/batch";

    private final KeyResolver keys;
    private final AdminProperties admin;
    private final RateLimiter rateLimiter;

    public Authentication(KeyResolver keys, AdminProperties admin, RateLimiter rateLimiter) {
        this.keys = keys;
        this.admin = admin;
        this.rateLimiter = rateLimiter;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        if (!path.startsWith("/v1/") || path.equals("/v1/health")) {
            return chain.filter(exchange);
        }
        if (path.equals("/v1/organizations") || path.startsWith("/v1/organizations/")) {
            return authenticateOperator(exchange).then(chain.filter(exchange));
        }
        String key = presentedKey(exchange.getRequest().getHeaders());
        if (key == null) {
            return Mono.error(ApiException.unauthorized("an API key is required (Authorization: Bearer <key> or X-API-Key)"));
        }
        if (!ApiKeys.wellFormed(key)) {
            return Mono.error(ApiException.unauthorized("invalid API key"));
        }
        return keys.resolve(key)
                .switchIfEmpty(Mono.error(() -> ApiException.unauthorized("invalid API key")))
                .flatMap(tenant -> {
                    exchange.getAttributes().put(Tenant.ATTRIBUTE, tenant);
                    if (path.equals(BATCH_PATH)) {
                        return chain.filter(exchange);
                    }
                    return rateLimiter.acquire(tenant, 1).flatMap(decision -> {
                        decision.applyTo(exchange.getResponse().getHeaders());
                        return decision.granted() < 1
                                ? Mono.error(ApiException.rateLimited(Math.max(1, decision.retryAfterSeconds())))
                                : chain.filter(exchange);
                    });
                });
    }

    private Mono<Void> authenticateOperator(ServerWebExchange exchange) {
        if (!admin.adminEnabled()) {
            return Mono.error(ApiException.notFound("no such resource: " + exchange.getRequest().getPath().value()));
        }
        String token = bearer(exchange.getRequest().getHeaders());
        if (token == null || !MessageDigest.isEqual(
                token.getBytes(StandardCharsets.UTF_8), admin.adminToken().getBytes(StandardCharsets.UTF_8))) {
            return Mono.error(ApiException.unauthorized("the admin token is required"));
        }
        return Mono.empty();
    }

    private static String presentedKey(HttpHeaders headers) {
        String bearer = bearer(headers);
        if (bearer != null) {
            return bearer;
        }
        String apiKey = headers.getFirst("X-API-Key");
        return apiKey == null || apiKey.isBlank() ? null : apiKey.trim();
    }

    private static String bearer(HttpHeaders headers) {
        String authorization = headers.getFirst(HttpHeaders.AUTHORIZATION);
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        String token = authorization.substring(BEARER.length()).trim();
        return token.isEmpty() ? null : token;
    }
}
