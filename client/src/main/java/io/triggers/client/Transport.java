package io.triggers.client;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sends one call to the API, retrying it while that is safe and the deadline allows. Safe means:
 * connection errors for reads and for ingestion (whose requests always carry an idempotency key),
 * but for other writes only when the request cannot have reached the server (connect refused or
 * timed out); 429 and 503 for every call (nothing was done); 409 on the ingest routes only, where it
 * means the same key is still in flight and the retry gets the first request's answer.
 */
final class Transport {

    /** A call: method, path under the base URL, JSON body or null, extra headers, and what kind of call it is. */
    record Call(String method, String path, byte[] body, Map<String, String> headers, Kind kind) {
    }

    /** What a call may be retried for. */
    enum Kind {
        /** GET, PUT, DELETE: repeating them changes nothing more. */
        IDEMPOTENT,
        /** POST /v1/events and /v1/events/batch with idempotency keys: also retried on 409 (key in flight). */
        INGEST,
        /** Any other POST or PATCH: retried only when the request cannot have been sent. */
        WRITE
    }

    /** An answer (2xx, or an error kept for the caller to map): status, headers, parsed body (null when empty). */
    record Answer(int status, HttpHeaders headers, JsonNode body) {

        Optional<RateLimit> rateLimit() {
            return RateLimit.of(headers);
        }

        Duration retryAfter() {
            return headers.firstValue("Retry-After").map(Transport::seconds).orElse(null);
        }
    }

    private static final String USER_AGENT = "triggers-java/" + Optional.ofNullable(Transport.class.getPackage().getImplementationVersion()).orElse("dev");

    private final HttpClient http;
    private final String base;
    private final String apiKey;
    private final JsonMapper json;
    private final RetryPolicy retry;
    private final Duration requestTimeout;
    private volatile RateLimit lastRateLimit;

    Transport(HttpClient http, String base, String apiKey, JsonMapper json, RetryPolicy retry, Duration requestTimeout) {
        this.http = http;
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.apiKey = apiKey;
        this.json = json;
        this.retry = retry;
        this.requestTimeout = requestTimeout;
    }

    RetryPolicy retryPolicy() {
        return retry;
    }

    Optional<RateLimit> lastRateLimit() {
        return Optional.ofNullable(lastRateLimit);
    }

    /** The deadline of a call starting now, in {@link System#nanoTime()}. */
    long deadlineFromNow() {
        return System.nanoTime() + retry.deadline().toNanos();
    }

    /** Sends the call and completes with its 2xx answer, or with a {@link TriggersException}. */
    CompletableFuture<Answer> send(Call call) {
        return send(call, deadlineFromNow());
    }

    /**
     * Sends the call, retrying within {@code deadlineNanos}; completes with the 2xx answer or a
     * {@link TriggersException} (for the last answer or connection error).
     */
    CompletableFuture<Answer> send(Call call, long deadlineNanos) {
        return attempt(call, 0, deadlineNanos).thenApply(answer -> {
            if (answer.status() >= 200 && answer.status() < 300) {
                return answer;
            }
            throw failure(answer);
        });
    }

    /** Like {@link #send(Call, long)} but any final answer, error or not, completes the future (for batches). */
    CompletableFuture<Answer> attempt(Call call, int retryNumber, long deadlineNanos) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            return CompletableFuture.failedFuture(new TriggersException.ConnectionFailed("the call's deadline passed", null));
        }
        HttpRequest request = request(call, Duration.ofNanos(Math.min(left, requestTimeout.toNanos())));
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .handle((response, error) -> {
                    if (error != null) {
                        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                        if (retryNumber + 1 < retry.maxAttempts() && retriesAfter(call.kind(), cause)) {
                            return later(call, retryNumber, deadlineNanos, null, () -> connectionFailed(call, cause));
                        }
                        return CompletableFuture.<Answer>failedFuture(connectionFailed(call, cause));
                    }
                    Answer answer = answer(response);
                    if (retryNumber + 1 < retry.maxAttempts() && retriesOn(call.kind(), answer.status())) {
                        return later(call, retryNumber, deadlineNanos, answer.retryAfter(), () -> answer);
                    }
                    return CompletableFuture.completedFuture(answer);
                })
                .thenCompose(next -> next);
    }

    /**
     * The next attempt after the backoff, or, when the wait would pass the deadline, the outcome so
     * far: the last answer or a {@link TriggersException.ConnectionFailed}.
     */
    private CompletableFuture<Answer> later(Call call, int retryNumber, long deadlineNanos, Duration retryAfter,
                                            java.util.function.Supplier<Object> outcome) {
        Duration wait = retry.backoff(retryNumber, retryAfter, ThreadLocalRandom.current()::nextDouble);
        if (System.nanoTime() + wait.toNanos() >= deadlineNanos) {
            Object last = outcome.get();
            return last instanceof Answer answer ? CompletableFuture.completedFuture(answer)
                    : CompletableFuture.failedFuture((Throwable) last);
        }
        return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(wait.toNanos(), TimeUnit.NANOSECONDS))
                .thenCompose(ignored -> attempt(call, retryNumber + 1, deadlineNanos));
    }

    /** Whether an answer with this status is worth another attempt. */
    static boolean retriesOn(Kind kind, int status) {
        return status == 429 || status == 503 || (status == 409 && kind == Kind.INGEST);
    }

    /** Whether a call that got no answer is worth another attempt. */
    static boolean retriesAfter(Kind kind, Throwable error) {
        if (!(error instanceof IOException)) {
            return false;
        }
        // A write without an idempotency key is repeated only when it cannot have reached the server.
        return kind != Kind.WRITE || error instanceof ConnectException || error instanceof HttpConnectTimeoutException;
    }

    TriggersException failure(Answer answer) {
        return TriggersException.of(answer.status(), answer.body(), answer.headers().firstValue("X-Request-ID").orElse(null),
                answer.rateLimit().orElse(null), answer.retryAfter());
    }

    private static TriggersException connectionFailed(Call call, Throwable cause) {
        return new TriggersException.ConnectionFailed(call.method() + " " + pathOnly(call.path()) + ": "
                + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : " " + cause.getMessage()), cause);
    }

    private static String pathOnly(String path) {
        int query = path.indexOf('?');
        return query < 0 ? path : path.substring(0, query);
    }

    private HttpRequest request(Call call, Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + call.path()))
                .timeout(timeout)
                .header("Authorization", "Bearer " + apiKey)
                .header("Accept", "application/json")
                .header("User-Agent", USER_AGENT);
        if (call.body() != null) {
            request.header("Content-Type", "application/json");
        }
        call.headers().forEach(request::header);
        request.method(call.method(), call.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(call.body()));
        return request.build();
    }

    private Answer answer(HttpResponse<byte[]> response) {
        RateLimit.of(response.headers()).ifPresent(limit -> lastRateLimit = limit);
        byte[] body = response.body();
        JsonNode parsed = null;
        if (body != null && body.length > 0) {
            try {
                parsed = json.readTree(body);
            } catch (JacksonException e) {
                parsed = null; // not JSON (a proxy's page, say): the status still tells what happened
            }
        }
        return new Answer(response.statusCode(), response.headers(), parsed);
    }

    private static Duration seconds(String value) {
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim())));
        } catch (NumberFormatException e) {
            return null; // an HTTP date: not sent by this API; the backoff applies
        }
    }
}
