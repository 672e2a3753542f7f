package io.triggers.api.web;

import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * Every error the API answers on purpose. {@link ApiErrorHandler} turns it into the contract's
 * error body; nothing else writes error responses. Carries no stack trace: these are answers,
 * not failures.
 */
public final class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final String code;
    private final List<FieldIssue> details;
    private final Map<String, String> headers;

    private ApiException(HttpStatus status, String code, String message, List<FieldIssue> details, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.details = List.copyOf(details);
        this.headers = Map.copyOf(headers);
    }

    public static ApiException validation(String message, List<FieldIssue> details) {
        return new ApiException(HttpStatus.BAD_REQUEST, "VALIDATION_ERROR", message, details, Map.of());
    }

    public static ApiException validation(String field, String issue, String message) {
        return validation(message, List.of(new FieldIssue(field, issue)));
    }

    public static ApiException malformedJson(String message) {
        return validation(message, List.of(new FieldIssue("body", "malformed_json")));
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(HttpStatus.UNAUTHORIZED, "UNAUTHORIZED", message, List.of(), Map.of("WWW-Authenticate", "Bearer"));
    }

    public static ApiException notFound(String message) {
        return new ApiException(HttpStatus.NOT_FOUND, "NOT_FOUND", message, List.of(), Map.of());
    }

    public static ApiException conflict(String message) {
        return new ApiException(HttpStatus.CONFLICT, "CONFLICT", message, List.of(), Map.of());
    }

    public static ApiException payloadTooLarge(long limitBytes) {
        return new ApiException(HttpStatus.CONTENT_TOO_LARGE, "PAYLOAD_TOO_LARGE",
                "request body is larger than " + limitBytes + " bytes", List.of(), Map.of());
    }

    public static ApiException payloadTooLarge(String message) {
        return new ApiException(HttpStatus.CONTENT_TOO_LARGE, "PAYLOAD_TOO_LARGE", message, List.of(), Map.of());
    }

    public static ApiException unsupportedMediaType(String message) {
        return new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", message, List.of(), Map.of());
    }

    public static ApiException idempotencyKeyReused() {
        return new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, "IDEMPOTENCY_KEY_REUSED",
                "this idempotency key was already used with a different request", List.of(), Map.of());
    }

    public static ApiException idempotencyKeyInFlight() {
        return new ApiException(HttpStatus.CONFLICT, "CONFLICT",
                "a request with this idempotency key is still in progress; retry shortly", List.of(), Map.of("Retry-After", "1"));
    }

    public static ApiException rateLimited(long retryAfterSeconds) {
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, "RATE_LIMITED",
                "rate limit exceeded; retry after " + retryAfterSeconds + " s", List.of(),
                Map.of("Retry-After", Long.toString(retryAfterSeconds)));
    }

    public static ApiException methodNotAllowed(String message) {
        return new ApiException(HttpStatus.METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", message, List.of(), Map.of());
    }

    public static ApiException serviceUnavailable(String message, long retryAfterSeconds) {
        return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", message, List.of(),
                Map.of("Retry-After", Long.toString(retryAfterSeconds)));
    }

    public static ApiException internal() {
        return new ApiException(HttpStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "internal error", List.of(), Map.of());
    }

    public HttpStatus status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<FieldIssue> details() {
        return details;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
