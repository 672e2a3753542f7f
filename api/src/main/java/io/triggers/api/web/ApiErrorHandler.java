package io.triggers.api.web;

import io.netty.handler.timeout.ReadTimeoutException;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTimeoutException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import io.triggers.api.events.IngestProperties;
import io.triggers.api.events.RequestMetrics;
import io.triggers.shared.logging.RequestContext;
import io.triggers.shared.logging.ThrottledLog;
import io.triggers.shared.storage.StorageFailures;
import java.net.ConnectException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one place errors become responses: every failure, ours or the framework's, leaves as the
 * contract's error body with the request id, and never with a stack trace. Runs before Spring
 * Boot's default handler (order -1).
 */
@Component
@Order(-2)
public final class ApiErrorHandler implements WebExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiErrorHandler.class);
    /** An outage fails every request: a line per 10 s, with the count, is enough. */
    private static final ThrottledLog DEPENDENCY_DOWN = new ThrottledLog(log, Duration.ofSeconds(10));

    private final JsonMapper json;
    private final long maxPayloadBytes;

    public ApiErrorHandler(JsonMapper json, IngestProperties ingest) {
        this.json = json;
        this.maxPayloadBytes = ingest.maxPayloadBytes();
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable failure) {
        ServerHttpResponse response = exchange.getResponse();
        if (response.isCommitted()) {
            return Mono.error(failure);
        }
        String requestId = RequestIds.of(exchange);
        ApiException error;
        try (RequestContext.Scope logging = RequestContext.logging(requestId)) {
            error = translate(exchange, failure);
        }
        exchange.getAttributes().put(RequestMetrics.ERROR_CODE, error.code());
        if (!(failure instanceof ApiException)) {
            exchange.getAttributes().put(RequestMetrics.EXCEPTION, failure);
        }
        response.setStatusCode(error.status());
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        response.getHeaders().set(RequestIds.HEADER, requestId);
        error.headers().forEach(response.getHeaders()::set);
        byte[] body = json.writeValueAsBytes(Map.of("error", body(error, requestId)));
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(body)));
    }

    private static Map<String, Object> body(ApiException error, String requestId) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", error.code());
        body.put("message", error.getMessage());
        body.put("details", error.details());
        body.put("request_id", requestId);
        return body;
    }

    private ApiException translate(ServerWebExchange exchange, Throwable failure) {
        if (failure instanceof ApiException api) {
            return api;
        }
        if (isSlowClient(failure)) {
            // The server's body-read or whole-body timeout (SlowClients): the caller's fault, not ours.
            return ApiException.validation("the request did not arrive within the time allowed", List.of());
        }
        if (failure instanceof DataBufferLimitException) {
            return ApiException.payloadTooLarge(maxPayloadBytes);
        }
        if (failure instanceof UnsupportedMediaTypeStatusException) {
            return ApiException.unsupportedMediaType("Content-Type must be application/json");
        }
        if (failure instanceof MethodNotAllowedException) {
            return ApiException.methodNotAllowed(exchange.getRequest().getMethod() + " is not allowed here");
        }
        if (failure instanceof ServerWebInputException input) {
            return ApiException.validation(input.getReason() == null ? "invalid request" : input.getReason(), List.of());
        }
        if (failure instanceof ResponseStatusException status && status.getStatusCode().value() == HttpStatus.NOT_FOUND.value()) {
            return ApiException.notFound("no such resource: " + exchange.getRequest().getPath().value());
        }
        if (isDataException(failure)) {
            // PostgreSQL refused a value (SQLSTATE class 22) that validation let through.
            log.warn("value refused by PostgreSQL on {} {}: {}", exchange.getRequest().getMethod(),
                    exchange.getRequest().getPath().value(), sqlState(failure));
            return ApiException.validation("a value in the request cannot be stored", List.of());
        }
        if (StorageFailures.isConflict(failure)) {
            // A deadlock or serialization failure left after the statement's own retries: nothing was
            // changed, and the same request later succeeds.
            DEPENDENCY_DOWN.warn("conflict with concurrent work on {} {}: {}", exchange.getRequest().getMethod(),
                    exchange.getRequest().getPath().value(), sqlState(failure));
            return ApiException.serviceUnavailable("the request conflicted with concurrent work and changed nothing; retry", 1);
        }
        if (isDependencyDown(failure)) {
            DEPENDENCY_DOWN.warn("dependency unavailable on {} {}: {}", exchange.getRequest().getMethod(),
                    exchange.getRequest().getPath().value(), failure.toString());
            return ApiException.serviceUnavailable("a storage dependency is unavailable; retry shortly", 2);
        }
        if (failure instanceof ResponseStatusException status && status.getStatusCode().is4xxClientError()) {
            return ApiException.validation(status.getReason() == null ? "invalid request" : status.getReason(), List.of());
        }
        log.error("unhandled error on {} {}", exchange.getRequest().getMethod(), exchange.getRequest().getPath().value(), failure);
        return ApiException.internal();
    }

    private static boolean isSlowClient(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            // Reactor Netty's whole-request timeout is a package-private ChannelException subclass.
            if (cause instanceof ReadTimeoutException
                    || "reactor.netty.http.server.RequestTimeoutException".equals(cause.getClass().getName())) {
                return true;
            }
        }
        return false;
    }

    private static boolean isDataException(Throwable failure) {
        String state = sqlState(failure);
        return state != null && state.startsWith("22");
    }

    private static String sqlState(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof R2dbcException r2dbc && r2dbc.getSqlState() != null) {
                return r2dbc.getSqlState();
            }
        }
        return null;
    }

    /**
     * PostgreSQL or Redis unreachable, shutting down, out of connections or too slow: worth a retry
     * (SQLSTATE classes 08 connection, 53 insufficient resources, 57 operator intervention).
     */
    private static boolean isDependencyDown(Throwable failure) {
        String state = sqlState(failure);
        if (state != null && (state.startsWith("08") || state.startsWith("53") || state.startsWith("57"))) {
            return true;
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof DataAccessResourceFailureException
                    || cause instanceof TransientDataAccessResourceException
                    || cause instanceof QueryTimeoutException
                    || cause instanceof R2dbcNonTransientResourceException
                    || cause instanceof R2dbcTransientResourceException
                    || cause instanceof R2dbcTimeoutException
                    || cause instanceof ConnectException
                    || cause instanceof java.nio.channels.ClosedChannelException
                    || cause instanceof java.util.concurrent.TimeoutException) {
                return true;
            }
        }
        return false;
    }
}
