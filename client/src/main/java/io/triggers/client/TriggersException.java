package io.triggers.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * A call the API refused or could not answer: the HTTP status, the error body's {@code code},
 * {@code message}, {@code details} and {@code request_id} (quote it when asking for help), and the
 * rate-limit headers of the answer. Each status of the contract has its own subclass, so callers
 * catch what they can handle ({@link NotFound}, {@link RateLimited}, …); {@link ConnectionFailed}
 * is a call that got no answer at all.
 */
public class TriggersException extends RuntimeException {

    /** One item of the error body's {@code details}: which field, and what is wrong with it. */
    public record Detail(String field, String issue) {
    }

    private final int status;
    private final String code;
    private final String requestId;
    private final List<Detail> details;
    private final transient JsonNode body;
    private final transient RateLimit rateLimit;
    private final Duration retryAfter;

    TriggersException(int status, String code, String message, String requestId, List<Detail> details, JsonNode body,
                      RateLimit rateLimit, Duration retryAfter, Throwable cause) {
        super(describe(status, code, message, requestId), cause);
        this.status = status;
        this.code = code;
        this.requestId = requestId;
        this.details = details == null ? List.of() : List.copyOf(details);
        this.body = body;
        this.rateLimit = rateLimit;
        this.retryAfter = retryAfter;
    }

    private TriggersException(TriggersException from) {
        this(from.status, from.code, from.serverMessage(), from.requestId, from.details, from.body, from.rateLimit, from.retryAfter,
                from.getCause());
    }

    private static String describe(int status, String code, String message, String requestId) {
        StringBuilder text = new StringBuilder();
        if (status > 0) {
            text.append(status).append(' ');
        }
        text.append(code == null ? "ERROR" : code);
        if (message != null && !message.isEmpty()) {
            text.append(": ").append(message);
        }
        if (requestId != null) {
            text.append(" (request_id ").append(requestId).append(')');
        }
        return text.toString();
    }

    /** The HTTP status, or 0 when no answer came ({@link ConnectionFailed}). */
    public int status() {
        return status;
    }

    /** The error body's {@code code}: {@code VALIDATION_ERROR}, {@code NOT_FOUND}, … */
    public String code() {
        return code;
    }

    /** The error body's {@code request_id} (or the answer's {@code X-Request-ID}); null without an answer. */
    public String requestId() {
        return requestId;
    }

    public List<Detail> details() {
        return details;
    }

    /** The error body as the API sent it; null without an answer or when it was not JSON. */
    public JsonNode body() {
        return body;
    }

    /** The rate-limit headers of the answer, if it had them. */
    public Optional<RateLimit> rateLimit() {
        return Optional.ofNullable(rateLimit);
    }

    /** The answer's {@code Retry-After}, if it had one. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    private String serverMessage() {
        return body != null && body.path("error").path("message").isString() ? body.path("error").path("message").stringValue() : null;
    }

    /** Builds the exception for an error answer, of the subclass its status has. */
    static TriggersException of(int status, JsonNode body, String headerRequestId, RateLimit rateLimit, Duration retryAfter) {
        JsonNode error = body == null ? null : body.path("error");
        String code = error != null && error.path("code").isString() ? error.path("code").stringValue() : null;
        String message = error != null && error.path("message").isString() ? error.path("message").stringValue() : null;
        String requestId = error != null && error.path("request_id").isString() ? error.path("request_id").stringValue() : headerRequestId;
        List<Detail> details = new ArrayList<>();
        if (error != null && error.path("details").isArray()) {
            for (JsonNode detail : error.path("details")) {
                details.add(new Detail(detail.path("field").isString() ? detail.path("field").stringValue() : null,
                        detail.path("issue").isString() ? detail.path("issue").stringValue() : null));
            }
        }
        TriggersException plain = new TriggersException(status, code, message, requestId, details, body, rateLimit, retryAfter, null);
        switch (status) {
            case 400: return new Validation(plain);
            case 401: return new Unauthorized(plain);
            case 404: return new NotFound(plain);
            case 409: return new Conflict(plain);
            case 413: return new PayloadTooLarge(plain);
            case 415: return new UnsupportedMediaType(plain);
            case 422: return new IdempotencyKeyReused(plain);
            case 429: return new RateLimited(plain);
            case 503: return new ServiceUnavailable(plain);
            default: return status >= 500 ? new ServerError(plain) : plain;
        }
    }

    /** 400 {@code VALIDATION_ERROR}: see {@link #details()}. */
    public static final class Validation extends TriggersException {
        Validation(TriggersException from) {
            super(from);
        }
    }

    /** 401 {@code UNAUTHORIZED}: a missing, unknown, revoked or expired API key. */
    public static final class Unauthorized extends TriggersException {
        Unauthorized(TriggersException from) {
            super(from);
        }
    }

    /** 404 {@code NOT_FOUND}, also for an id of another organization. */
    public static final class NotFound extends TriggersException {
        NotFound(TriggersException from) {
            super(from);
        }
    }

    /** 409 {@code CONFLICT}; on ingestion, the same idempotency key still in flight (retried until the deadline). */
    public static final class Conflict extends TriggersException {
        Conflict(TriggersException from) {
            super(from);
        }
    }

    /** 413 {@code PAYLOAD_TOO_LARGE}. */
    public static final class PayloadTooLarge extends TriggersException {
        PayloadTooLarge(TriggersException from) {
            super(from);
        }
    }

    /** 415 {@code UNSUPPORTED_MEDIA_TYPE}. */
    public static final class UnsupportedMediaType extends TriggersException {
        UnsupportedMediaType(TriggersException from) {
            super(from);
        }
    }

    /** 422 {@code IDEMPOTENCY_KEY_REUSED}: the key was used before with another body. */
    public static final class IdempotencyKeyReused extends TriggersException {
        IdempotencyKeyReused(TriggersException from) {
            super(from);
        }
    }

    /** 429 {@code RATE_LIMITED} after the retries the deadline allowed; see {@link #retryAfter()}. */
    public static final class RateLimited extends TriggersException {
        RateLimited(TriggersException from) {
            super(from);
        }
    }

    /** 503 {@code SERVICE_UNAVAILABLE} after the retries the deadline allowed. */
    public static final class ServiceUnavailable extends TriggersException {
        ServiceUnavailable(TriggersException from) {
            super(from);
        }
    }

    /** Another 5xx ({@code INTERNAL_ERROR}). */
    public static final class ServerError extends TriggersException {
        ServerError(TriggersException from) {
            super(from);
        }
    }

    /** No answer: the connection failed or timed out on every attempt the deadline allowed. */
    public static final class ConnectionFailed extends TriggersException {
        ConnectionFailed(String what, Throwable cause) {
            super(0, "CONNECTION_FAILED", what, null, List.of(), null, null, null, cause);
        }
    }
}
