package io.triggers.api.console;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.PathContainer;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The console's own security headers, on every response under {@code /console} and on no other:
 * the console shows what producers sent (payloads, sources, metadata are attacker-controlled), so
 * besides escaping everything it shows it runs under a Content-Security-Policy that allows no
 * inline script, no inline style and nothing from another origin. Swagger UI
 * ({@code /swagger-ui.html}) needs inline code and keeps its own defaults; the {@code /v1} API
 * answers JSON and needs none of this.
 *
 * <p>Set before the handler runs, so a 404 or an error under {@code /console} carries them too.
 * The console's files are not fingerprinted, so they are revalidated on every use
 * ({@code no-cache}; the script, style and chart files answer 304 to a conditional request while
 * unchanged) instead of cached blindly across a deploy.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 5)
public final class ConsoleHeaders implements WebFilter {

    /** The policy of every console response. */
    public static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (isConsole(exchange.getRequest().getPath().pathWithinApplication())) {
            HttpHeaders headers = exchange.getResponse().getHeaders();
            headers.set("Content-Security-Policy", POLICY);
            headers.set("X-Content-Type-Options", "nosniff");
            headers.set("X-Frame-Options", "DENY");
            headers.set("Referrer-Policy", "no-referrer");
            headers.set("Cross-Origin-Opener-Policy", "same-origin");
            headers.set(HttpHeaders.CACHE_CONTROL, "no-cache");
        }
        return chain.filter(exchange);
    }

    /** Whether the first segment of the path is {@code console}, as the router reads it. */
    static boolean isConsole(PathContainer path) {
        for (PathContainer.Element element : path.elements()) {
            if (element instanceof PathContainer.PathSegment segment) {
                return segment.valueToMatch().equals(ConsoleRoutes.SEGMENT);
            }
        }
        return false;
    }
}
