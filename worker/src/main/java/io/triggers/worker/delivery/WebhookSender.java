package io.triggers.worker.delivery;

import io.netty.channel.ChannelOption;
import io.triggers.shared.Version;
import io.triggers.shared.config.DeliveryProperties;
import io.triggers.shared.webhooks.TargetAddresses;
import io.triggers.shared.webhooks.WebhookSigner;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import reactor.core.scheduler.Schedulers;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeoutException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * POSTs one signed webhook and reports how it went. Never fails: every error becomes an
 * {@link AttemptOutcome}. Redirects are not followed; connections are pooled per host.
 */
@Component
final class WebhookSender {

    static final int EXCERPT_BYTES = 1024;
    private static final String USER_AGENT = "Triggers-Webhooks/" + Version.current();

    private final WebClient client;
    private final Duration timeout;
    private final Duration maxRetryAfter;
    private final boolean allowPrivate;

    WebhookSender(DeliveryProperties delivery) {
        this.timeout = delivery.timeout();
        this.maxRetryAfter = delivery.maxRetryAfter();
        this.allowPrivate = delivery.allowPrivateTargets();
        ConnectionProvider pool = ConnectionProvider.builder("webhooks")
                .maxConnections(1000)
                .pendingAcquireMaxCount(-1)
                .maxIdleTime(Duration.ofSeconds(30))
                .build();
        HttpClient http = HttpClient.create(pool)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeout.toMillis(), Integer.MAX_VALUE))
                .responseTimeout(timeout)
                .followRedirect(false)
                .resolver(new PublicTargetResolver(Schedulers.boundedElastic()::schedule, allowPrivate));
        // Not Boot's WebClient.Builder: its observation of every request (http.client.requests,
        // tagged by host) cost CPU on each delivery, and triggers_delivery_* measures deliveries already.
        this.client = WebClient.builder().clientConnector(new ReactorClientHttpConnector(http)).build();
    }

    Mono<AttemptOutcome> send(DeliveryTarget target, byte[] body) {
        return Mono.defer(() -> {
            URI url = URI.create(target.url());
            if (!allowPrivate && isForbiddenLiteral(url.getHost())) {
                // An IP literal is never handed to the resolver, so it is checked here.
                return Mono.just(new AttemptOutcome(null, 0, "refused: " + url.getHost() + " is a private, loopback or link-local address",
                        null, null));
            }
            String messageId = target.event().id().toString();
            long timestamp = Instant.now().getEpochSecond();
            String signature = WebhookSigner.signatureHeader(target.secrets(), messageId, timestamp, body);
            long started = System.nanoTime();
            return client.post()
                    .uri(url)
                    .headers(headers -> {
                        headers.setContentType(MediaType.APPLICATION_JSON);
                        headers.set(HttpHeaders.USER_AGENT, USER_AGENT);
                        headers.set("webhook-id", messageId);
                        headers.set("webhook-timestamp", Long.toString(timestamp));
                        headers.set("webhook-signature", signature);
                    })
                    .bodyValue(body)
                    .exchangeToMono(response -> excerpt(response)
                            .map(excerpt -> new AttemptOutcome(response.statusCode().value(), elapsedMs(started), null, excerpt,
                                    retryAfter(response))))
                    .timeout(timeout)
                    .onErrorResume(e -> Mono.just(new AttemptOutcome(null, elapsedMs(started), describe(e), null, null)));
        });
    }

    /** A 429's or 503's Retry-After (seconds or an HTTP date), at most {@code max-retry-after}. */
    private Duration retryAfter(ClientResponse response) {
        int status = response.statusCode().value();
        String header = response.headers().asHttpHeaders().getFirst(HttpHeaders.RETRY_AFTER);
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

    private static boolean isForbiddenLiteral(String host) {
        if (host == null) {
            return false;
        }
        String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(literal);
        if (bytes == null) {
            return false;
        }
        try {
            return TargetAddresses.isForbidden(InetAddress.getByAddress(bytes));
        } catch (UnknownHostException e) {
            return true;
        }
    }

    /** Reads the whole response (so the connection can be reused) but keeps only its first KiB. */
    private static Mono<String> excerpt(ClientResponse response) {
        return response.body(BodyExtractors.toDataBuffers())
                .reduce(ByteBuffer.allocate(EXCERPT_BYTES), (kept, buffer) -> {
                    try {
                        int take = Math.min(kept.remaining(), buffer.readableByteCount());
                        byte[] bytes = new byte[take];
                        buffer.read(bytes);
                        kept.put(bytes);
                        return kept;
                    } finally {
                        DataBufferUtils.release(buffer);
                    }
                })
                .map(WebhookSender::decode)
                .defaultIfEmpty("");
    }

    /**
     * UTF-8 text of the kept bytes: a character cut at the end and invalid bytes are dropped and
     * NULs removed, so the text is at most {@link #EXCERPT_BYTES} bytes and PostgreSQL accepts it.
     */
    private static String decode(ByteBuffer kept) {
        kept.flip();
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.IGNORE)
                .onUnmappableCharacter(CodingErrorAction.IGNORE);
        CharBuffer chars = CharBuffer.allocate(EXCERPT_BYTES);
        decoder.decode(kept, chars, true);
        decoder.flush(chars);
        chars.flip();
        return chars.toString().replace("\u0000", "");
    }

    private String describe(Throwable failure) {
        if (failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException
                || failure.getClass().getSimpleName().contains("Timeout")) {
            return "timeout after " + timeout.toMillis() + " ms";
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof PublicTargetResolver.ForbiddenTarget) {
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
}
