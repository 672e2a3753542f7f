package io.triggers.api.events;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;
import static org.springframework.web.reactive.function.server.RequestPredicates.path;

import io.triggers.api.auth.Tenant;
import java.util.Set;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.http.ResponseEntity;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.MethodNotAllowedException;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The two ingest routes as functional routes: no handler-method lookup, argument resolvers,
 * {@code ResponseEntity} result handler or codec negotiation per request (the annotation handler
 * adapter alone was 5 % of the api's samples in issue 17's baseline profile). Functional routes are matched before annotated
 * controllers; the logic stays in {@link EventsController}. The answer is written as the bytes
 * the application's {@link JsonMapper} makes of it, as the annotated routes' codec would.
 */
@Configuration(proxyBeanMethods = false)
class IngestRoutes {

    @Bean
    RouterFunction<ServerResponse> ingest(EventsController events, JsonMapper json) {
        return RouterFunctions.route(POST("/v1/events"), request -> respond(json, events.ingest(tenant(request), request.exchange())))
                .andRoute(POST("/v1/events/batch"), request -> respond(json, events.batch(tenant(request), request.exchange())))
                // Another method than GET (the event log, an annotated route) on /v1/events is 405.
                .andRoute(path("/v1/events").and(GET("/v1/events").negate()),
                        request -> Mono.error(new MethodNotAllowedException(request.method(), Set.of(HttpMethod.GET, HttpMethod.POST))));
    }

    private static Tenant tenant(ServerRequest request) {
        // Set by the Authentication filter for every /v1/events request it lets through.
        return (Tenant) request.exchange().getRequiredAttribute(Tenant.ATTRIBUTE);
    }

    private static Mono<ServerResponse> respond(JsonMapper json, Mono<? extends ResponseEntity<?>> answer) {
        return answer.flatMap(entity -> {
            byte[] body = json.writeValueAsBytes(entity.getBody());
            BodyInserter<byte[], ReactiveHttpOutputMessage> bytes =
                    (message, context) -> message.writeWith(Mono.just(message.bufferFactory().wrap(body)));
            return ServerResponse.status(entity.getStatusCode())
                    .headers(headers -> headers.addAll(entity.getHeaders()))
                    .contentType(MediaType.APPLICATION_JSON)
                    .contentLength(body.length)
                    .body(bytes);
        });
    }
}
