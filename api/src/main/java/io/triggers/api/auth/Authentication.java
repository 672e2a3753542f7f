package io.triggers.api.auth;

import io.triggers.api.auth.AccessRules.Decision;
import io.triggers.api.keys.ApiKeys;
import io.triggers.api.keys.KeyResolver;
import io.triggers.api.ratelimit.RateLimiter;
import io.triggers.api.web.ApiException;
import java.net.InetSocketAddress;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The one place that decides who may call what, by {@link AccessRules} on the path as the router
 * will match it. Ambiguous spellings of a path are refused (400). Operator paths take the admin
 * token (404 when operator calls are off) and get the {@link Operator} on the exchange; tenant
 * paths take an API key in {@code Authorization: Bearer} or {@code X-API-Key}, get its
 * {@link Tenant}, and are charged one unit of the tenant's rate limit before any body is read: of
 * its ingest budget for the ingest routes, of its budget for reads and management otherwise.
 * An address past its failed authentications ({@link FailedAuthentications}) is refused (429)
 * before its credential is looked at. {@code GET /v1/health} and paths outside {@code /v1}
 * (actuator, OpenAPI) pass untouched.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public final class Authentication implements WebFilter {

    private static final String BEARER = "bearer ";
    private static final String ADMIN_TOKEN_REQUIRED = "the admin token is required";
    private static final String INVALID_KEY = "invalid API key";

    private final KeyResolver keys;
    private final AdminToken adminToken;
    private final RateLimiter rateLimiter;
    private final FailedAuthentications failures;

    public Authentication(KeyResolver keys, AdminToken adminToken, RateLimiter rateLimiter, FailedAuthentications failures) {
        this.keys = keys;
        this.adminToken = adminToken;
        this.rateLimiter = rateLimiter;
        this.failures = failures;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        Decision decision = AccessRules.decide(request.getMethod(), request.getPath().pathWithinApplication());
        switch (decision.access()) {
            case REFUSED:
                return Mono.error(ApiException.validation("path", "ambiguous_spelling",
                        decision.refusal() + ", which this API refuses; spell the path plainly"));
            case PUBLIC:
            case NOT_OURS:
                return chain.filter(exchange);
            case OPERATOR:
                if (!adminToken.enabled()) {
                    return Mono.error(ApiException.notFound("no such resource: " + request.getPath().value()));
                }
                break;
            default:
                break;
        }
        InetSocketAddress client = request.getRemoteAddress();
        long wait = failures.refusedFor(client);
        if (wait > 0) {
            return Mono.error(ApiException.rateLimited(wait));
        }
        return decision.access() == AccessRules.Access.OPERATOR
                ? authenticateOperator(exchange, chain, client)
                : authenticateTenant(exchange, chain, client, decision.ingest());
    }

    private Mono<Void> authenticateOperator(ServerWebExchange exchange, WebFilterChain chain, InetSocketAddress client) {
        String token = bearer(exchange.getRequest().getHeaders());
        if (token == null) {
            return Mono.error(ApiException.unauthorized(ADMIN_TOKEN_REQUIRED));
        }
        if (!adminToken.matches(token)) {
            return refused(client, ADMIN_TOKEN_REQUIRED);
        }
        exchange.getAttributes().put(Operator.ATTRIBUTE, Operator.AUTHENTICATED);
        return chain.filter(exchange);
    }

    private Mono<Void> authenticateTenant(ServerWebExchange exchange, WebFilterChain chain, InetSocketAddress client, boolean ingest) {
        String key = presentedKey(exchange.getRequest().getHeaders());
        if (key == null) {
            return Mono.error(ApiException.unauthorized("an API key is required (Authorization: Bearer <key> or X-API-Key)"));
        }
        if (!ApiKeys.wellFormed(key)) {
            return refused(client, INVALID_KEY);
        }
        return keys.resolve(key)
                .switchIfEmpty(Mono.defer(() -> refused(client, INVALID_KEY)))
                .flatMap(tenant -> {
                    exchange.getAttributes().put(Tenant.ATTRIBUTE, tenant);
                    Mono<RateLimiter.Decision> spent = ingest ? rateLimiter.acquire(tenant, 1) : rateLimiter.acquireCall(tenant);
                    // One unit now, before any body is read, batches included: a caller whose budget
                    // is spent costs no parsing. A batch is charged its other items once they are counted.
                    return spent.flatMap(decision -> {
                        decision.applyTo(exchange.getResponse().getHeaders());
                        return decision.granted() < 1
                                ? Mono.error(ApiException.rateLimited(Math.max(1, decision.retryAfterSeconds())))
                                : chain.filter(exchange);
                    });
                });
    }

    /** A presented credential that was wrong: counted against the address, and answered 401. */
    private <T> Mono<T> refused(InetSocketAddress client, String message) {
        failures.failed(client);
        return Mono.error(ApiException.unauthorized(message));
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
