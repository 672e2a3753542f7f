package io.triggers.client;

import io.triggers.client.WebhookVerificationException.Reason;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Verifies webhooks signed per Standard Webhooks, as Triggers sends them: the
 * {@code webhook-signature} header holds one or more space-separated {@code v1,<base64>}
 * signatures, and the webhook verifies when any of them is the HMAC of
 * {@code "<webhook-id>.<webhook-timestamp>.<body>"} under any of the secrets given (several during
 * a rotation), compared in constant time; and {@code webhook-timestamp} must be within the tolerance
 * of now (default 5 minutes), so a captured request cannot be replayed later.
 *
 * <p>Verify the body exactly as received, bytes before any JSON parsing. Thread-safe.
 */
public final class WebhookVerifier {

    /** A webhook that verified: dedupe on {@code id}, which is the event id and the same on every retry. */
    public record Verified(String id, Instant timestamp) {
    }

    private final List<byte[]> keys;
    private final Duration tolerance;
    private final Clock clock;

    private WebhookVerifier(List<byte[]> keys, Duration tolerance, Clock clock) {
        this.keys = keys;
        this.tolerance = tolerance;
        this.clock = clock;
    }

    /** A verifier for these secrets ({@code whsec_…}), with 5 minutes' tolerance. */
    public static WebhookVerifier of(String... secrets) {
        return of(List.of(secrets));
    }

    public static WebhookVerifier of(List<String> secrets) {
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException("at least one secret is needed");
        }
        List<byte[]> keys = new ArrayList<>();
        for (String secret : secrets) {
            keys.add(WebhookSigner.key(Objects.requireNonNull(secret, "secret")));
        }
        return new WebhookVerifier(List.copyOf(keys), Duration.ofMinutes(5), Clock.systemUTC());
    }

    /** How far {@code webhook-timestamp} may be from now, either way. */
    public WebhookVerifier withTolerance(Duration tolerance) {
        return new WebhookVerifier(keys, Objects.requireNonNull(tolerance, "tolerance"), clock);
    }

    /** The clock "now" is read from (for tests of a receiver). */
    public WebhookVerifier withClock(Clock clock) {
        return new WebhookVerifier(keys, tolerance, Objects.requireNonNull(clock, "clock"));
    }

    /** Verifies a webhook given a header lookup by name, e.g. {@code request::getHeader} of a servlet request. */
    public Verified verify(Function<String, String> header, byte[] body) {
        return verify(header.apply("webhook-id"), header.apply("webhook-timestamp"), header.apply("webhook-signature"), body);
    }

    /** Verifies a webhook given its headers (names in any case) and body. */
    public Verified verify(Map<String, ?> headers, byte[] body) {
        return verify(name -> first(headers, name), body);
    }

    public Verified verify(HttpHeaders headers, byte[] body) {
        return verify(name -> headers.firstValue(name).orElse(null), body);
    }

    public Verified verify(Map<String, ?> headers, String body) {
        return verify(headers, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Verifies a webhook given the three header values and the body. */
    public Verified verify(String id, String timestamp, String signatures, byte[] body) {
        if (id == null || id.isEmpty()) {
            throw new WebhookVerificationException(Reason.MISSING_HEADER, "the webhook-id header is missing");
        }
        if (timestamp == null || timestamp.isEmpty()) {
            throw new WebhookVerificationException(Reason.MISSING_HEADER, "the webhook-timestamp header is missing");
        }
        if (signatures == null || signatures.isBlank()) {
            throw new WebhookVerificationException(Reason.MISSING_HEADER, "the webhook-signature header is missing");
        }
        long seconds;
        try {
            seconds = Long.parseLong(timestamp.trim());
        } catch (NumberFormatException e) {
            throw new WebhookVerificationException(Reason.INVALID_TIMESTAMP, "webhook-timestamp is not a number of seconds");
        }
        long now = clock.instant().getEpochSecond();
        if (seconds < now - tolerance.toSeconds()) {
            throw new WebhookVerificationException(Reason.TIMESTAMP_TOO_OLD,
                    "webhook-timestamp is " + (now - seconds) + " s old, more than the tolerance of " + tolerance.toSeconds() + " s");
        }
        if (seconds > now + tolerance.toSeconds()) {
            throw new WebhookVerificationException(Reason.TIMESTAMP_TOO_NEW,
                    "webhook-timestamp is " + (seconds - now) + " s in the future, more than the tolerance of " + tolerance.toSeconds() + " s");
        }
        List<byte[]> given = new ArrayList<>();
        for (String signature : signatures.trim().split(" +")) {
            int comma = signature.indexOf(',');
            if (comma > 0 && signature.substring(0, comma).equals("v1")) {
                try {
                    given.add(Base64.getDecoder().decode(signature.substring(comma + 1)));
                } catch (IllegalArgumentException e) {
                    // Not base64: matches nothing.
                }
            }
        }
        for (byte[] key : keys) {
            byte[] expected = WebhookSigner.mac(key, id, seconds, body);
            for (byte[] signature : given) {
                if (MessageDigest.isEqual(expected, signature)) {
                    return new Verified(id, Instant.ofEpochSecond(seconds));
                }
            }
        }
        throw new WebhookVerificationException(Reason.NO_MATCHING_SIGNATURE, given.isEmpty()
                ? "webhook-signature has no v1 signature"
                : "no v1 signature matches the secret" + (keys.size() > 1 ? "s" : "") + " (a wrong secret, or the body was changed)");
    }

    private static String first(Map<String, ?> headers, String name) {
        for (Map.Entry<String, ?> header : headers.entrySet()) {
            if (header.getKey() != null && header.getKey().toLowerCase(Locale.ROOT).equals(name)) {
                Object value = header.getValue();
                if (value instanceof Iterable<?> values) {
                    for (Object first : values) {
                        return first == null ? null : first.toString();
                    }
                    return null;
                }
                return value == null ? null : value.toString();
            }
        }
        return null;
    }
}
