package io.triggers.worker.sending;

import io.triggers.worker.delivery.AttemptOutcome;
import io.triggers.worker.delivery.DeliveryTarget;
import io.netty.channel.ChannelOption;
import io.triggers.shared.Version;
import io.triggers.shared.config.DeliveryProperties;
import io.triggers.shared.webhooks.RefusedTarget;
import io.triggers.shared.webhooks.TargetResolverGroup;
import io.triggers.shared.tracing.TraceParent;
import io.triggers.shared.webhooks.WebhookSigner;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeoutException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;
import reactor.netty.resources.ConnectionProvider;

/**
 * POSTs one signed webhook and reports how it went. Never fails: every error becomes an
 * {@link AttemptOutcome}. Redirects are not followed; connections are pooled per host. Every
 * address connected to is judged first ({@link TargetResolverGroup}, on this application's event
 * loops), so a host that resolves to a forbidden address after its endpoint was saved is refused.
 * At most 64 KiB of an answer is read ({@link ResponseExcerpt}). Reactor Netty's HttpClient is
 * used directly: Spring's WebClient on top of it cost the worker 7 % of its CPU per delivery
 * (issue 17) for nothing a webhook needs.
 */
@Component
public final class WebhookSender implements DisposableBean {

    private static final String USER_AGENT = "Triggers-Webhooks/" + Version.current();

    private final HttpClient http;
    private final ConnectionProvider pool;
    private final TargetResolverGroup resolvers;
    private final Duration timeout;
    private final Duration maxRetryAfter;

    WebhookSender(DeliveryProperties delivery, ReactorResourceFactory netty) {
        this.timeout = delivery.timeout();
        this.maxRetryAfter = delivery.maxRetryAfter();
        this.pool = ConnectionProvider.builder("webhooks")
                .maxConnections(1000)
                .pendingAcquireMaxCount(-1)
                .maxIdleTime(Duration.ofSeconds(30))
                .evictInBackground(Duration.ofSeconds(30))
                // A pool per host: dropped once the host has had no connection for endpoint-state-idle.
                .disposeInactivePoolsInBackground(evictionInterval(delivery.endpointStateIdle()), delivery.endpointStateIdle())
                .build();
        this.resolvers = TargetResolverGroup.create(delivery, netty.getLoopResources());
        // Neither WebClient nor Boot's builder of it, whose observation of every request
        // (http.client.requests, tagged by host) cost CPU too; triggers_delivery_* measures deliveries.
        this.http = HttpClient.create(pool)
                .runOn(netty.getLoopResources())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeout.toMillis(), Integer.MAX_VALUE))
                // No more than is ever read of an answer: left to itself the kernel grows the buffer of a
                // connection a receiver streams into to several MiB, all of it to be thrown away.
                .option(ChannelOption.SO_RCVBUF, ResponseExcerpt.READ_BYTES)
                .responseTimeout(timeout)
                .followRedirect(false)
                .resolver(resolvers);
    }

    /**
     * POSTs the webhook.
     *
     * @param traceparent the attempt's W3C trace context, sent as {@code traceparent} so the receiver can join the trace
     */
    public Mono<AttemptOutcome> send(DeliveryTarget target, byte[] body, String traceparent) {
        return Mono.defer(() -> {
            URI url = URI.create(target.url());
            String messageId = target.event().id().toString();
            long timestamp = Instant.now().getEpochSecond();
            String signature = WebhookSigner.signatureHeader(target.secrets(), messageId, timestamp, body);
            long started = System.nanoTime();
            return http.post()
                    .uri(url)
                    .send((request, out) -> {
                        // The endpoint's own headers first: the service's below replace any of the same name.
                        target.headers().forEach(request::header);
                        request.header(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                                .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.length))
                                .header(HttpHeaderNames.USER_AGENT, USER_AGENT)
                                .header("webhook-id", messageId)
                                .header("webhook-timestamp", Long.toString(timestamp))
                                .header("webhook-signature", signature)
                                .header(TraceParent.HEADER, traceparent);
                        return out.sendByteArray(Mono.just(body));
                    })
                    // single(), not next(): cancelling before the answer is complete would close the connection.
                    .response((response, content) -> ResponseExcerpt.read(content)
                            .map(excerpt -> new AttemptOutcome(response.status().code(), elapsedMs(started), null, excerpt,
                                    retryAfter(response))))
                    .single()
                    .timeout(timeout)
                    .onErrorResume(e -> Mono.just(new AttemptOutcome(null, elapsedMs(started), describe(e), null, null)));
        });
    }

    /** A 429's or 503's Retry-After (seconds or an HTTP date), at most {@code max-retry-after}. */
    private Duration retryAfter(HttpClientResponse response) {
        int status = response.status().code();
        String header = response.responseHeaders().get(HttpHeaderNames.RETRY_AFTER);
        if ((status != 429 && status != 503) || header == null || header.isBlank()) {
            return null;
        }
        Duration wait;
        try {
            wait = Duration.ofSeconds(Long.parseLong(header.trim()));
        } catch (NumberFormatException notSeconds) {
            try {
                wait = Duration.between(Instant.now(), ZonedDateTime.parse(header.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
        if (wait.isNegative()) {
            return Duration.ZERO;
        }
        return wait.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : wait;
    }

    private String describe(Throwable failure) {
        if (failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException
                || failure.getClass().getSimpleName().contains("Timeout")) {
            return "timeout after " + timeout.toMillis() + " ms";
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof RefusedTarget) {
                return cause.getMessage();
            }
            if (cause instanceof ConnectException) {
                return "connection failed: " + cause.getMessage();
            }
            if (cause instanceof UnknownHostException) {
                return "unknown host";
            }
        }
        String message = failure.getMessage();
        String text = failure.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        return text.length() > 500 ? text.substring(0, 500) : text;
    }

    private static long elapsedMs(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    private static Duration evictionInterval(Duration idle) {
        Duration tenth = idle.dividedBy(10);
        return tenth.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : tenth;
    }

    @Override
    public void destroy() {
        pool.dispose();
        resolvers.close();
    }
}
