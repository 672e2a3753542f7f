package io.triggers.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.standardwebhooks.Webhook;
import io.triggers.client.WebhookVerificationException.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Signatures made by the Standard Webhooks reference library, verified by ours; and the ways one fails. */
class WebhookVerifierTest {

    private static final String BODY = "{\"id\":\"e1\",\"type\":\"order.created\",\"data\":{\"order_id\":42}}";
    private static final byte[] BYTES = BODY.getBytes(StandardCharsets.UTF_8);

    private final String secret = WebhookSigner.newSecret();
    private final long now = Instant.now().getEpochSecond();

    private static Map<String, String> headers(String id, long timestamp, String signature) {
        return Map.of("Webhook-Id", id, "webhook-timestamp", Long.toString(timestamp), "webhook-signature", signature);
    }

    @Test
    void verifiesTheReferenceLibrarysSignature() throws Exception {
        String signature = new Webhook(secret).sign("msg_1", now, BODY);

        WebhookVerifier.Verified verified = WebhookVerifier.of(secret).verify(headers("msg_1", now, signature), BYTES);

        assertThat(verified.id()).isEqualTo("msg_1");
        assertThat(verified.timestamp()).isEqualTo(Instant.ofEpochSecond(now));
    }

    @Test
    void theReferenceLibraryVerifiesOurSignature() throws Exception {
        String signature = WebhookSigner.sign(secret, "msg_2", now, BYTES);
        java.net.http.HttpHeaders headers = java.net.http.HttpHeaders.of(Map.of("webhook-id", java.util.List.of("msg_2"),
                "webhook-timestamp", java.util.List.of(Long.toString(now)), "webhook-signature", java.util.List.of(signature)), (a, b) -> true);
        new Webhook(secret).verify(BODY, headers);
        assertThat(WebhookVerifier.of(secret).verify(headers, BYTES).id()).isEqualTo("msg_2");
    }

    @Test
    void anyOfSeveralSecretsAndAnyOfSeveralSignaturesWillDo() throws Exception {
        String old = WebhookSigner.newSecret();
        String other = WebhookSigner.newSecret();
        String both = new Webhook(secret).sign("msg_3", now, BODY) + " " + new Webhook(old).sign("msg_3", now, BODY);

        assertThat(WebhookVerifier.of(other, old).verify(headers("msg_3", now, both), BYTES).id()).isEqualTo("msg_3");
        assertThat(WebhookVerifier.of(secret).verify(headers("msg_3", now, "v2,abc " + both), BYTES).id()).isEqualTo("msg_3");
    }

    @Test
    void aWrongSecretATamperedBodyOrAnotherIdFailsClearly() throws Exception {
        String signature = new Webhook(secret).sign("msg_4", now, BODY);

        assertThatThrownBy(() -> WebhookVerifier.of(WebhookSigner.newSecret()).verify(headers("msg_4", now, signature), BYTES))
                .isInstanceOf(WebhookVerificationException.class)
                .hasMessageContaining("no v1 signature matches")
                .extracting(e -> ((WebhookVerificationException) e).reason()).isEqualTo(Reason.NO_MATCHING_SIGNATURE);
        assertThatThrownBy(() -> WebhookVerifier.of(secret).verify(headers("msg_4", now, signature), BODY.replace("42", "43")))
                .extracting(e -> ((WebhookVerificationException) e).reason()).isEqualTo(Reason.NO_MATCHING_SIGNATURE);
        assertThatThrownBy(() -> WebhookVerifier.of(secret).verify(headers("msg_5", now, signature), BYTES))
                .extracting(e -> ((WebhookVerificationException) e).reason()).isEqualTo(Reason.NO_MATCHING_SIGNATURE);
    }

    @Test
    void aTimestampOutsideTheToleranceFailsEvenWithAGoodSignature() throws Exception {
        // The verifier's clock is fixed at the test's "now": on the system clock, a second that ends
        // between signing and verifying made the future timestamp 300 s ahead, inside the tolerance.
        WebhookVerifier atNow = WebhookVerifier.of(secret).withClock(Clock.fixed(Instant.ofEpochSecond(now), ZoneOffset.UTC));
        long stale = now - 301;
        String staleSignature = new Webhook(secret).sign("msg_6", stale, BODY);
        assertThatThrownBy(() -> atNow.verify(headers("msg_6", stale, staleSignature), BYTES))
                .hasMessageContaining("old")
                .extracting(e -> ((WebhookVerificationException) e).reason()).isEqualTo(Reason.TIMESTAMP_TOO_OLD);
        long future = now + 301;
        String futureSignature = new Webhook(secret).sign("msg_6", future, BODY);
        assertThatThrownBy(() -> atNow.verify(headers("msg_6", future, futureSignature), BYTES))
                .extracting(e -> ((WebhookVerificationException) e).reason()).isEqualTo(Reason.TIMESTAMP_TOO_NEW);
        // Exactly the tolerance away, either way, is inside it.
        for (long edge : new long[] {now - 300, now + 300}) {
            String signature = new Webhook(secret).sign("msg_7", edge, BODY);
            assertThat(atNow.verify(headers("msg_7", edge, signature), BYTES).timestamp()).isEqualTo(Instant.ofEpochSecond(edge));
        }
        // A wider tolerance, or a clock at the time it was sent, accepts it.
        assertThat(atNow.withTolerance(Duration.ofMinutes(10)).verify(headers("msg_6", stale, staleSignature), BYTES))
                .isNotNull();
        assertThat(WebhookVerifier.of(secret).withClock(Clock.fixed(Instant.ofEpochSecond(stale), ZoneOffset.UTC))
                .verify(headers("msg_6", stale, staleSignature), BYTES)).isNotNull();
    }

    @Test
    void missingHeadersAndABadTimestampAreNamed() {
        assertThatThrownBy(() -> WebhookVerifier.of(secret).verify(Map.of("webhook-timestamp", "1", "webhook-signature", "v1,x"), BYTES))
                .hasMessageContaining("webhook-id").extracting(e -> ((WebhookVerificationException) e).reason()).isEqualTo(Reason.MISSING_HEADER);
        assertThatThrownBy(() -> WebhookVerifier.of(secret).verify(headers("m", 0, "v1,x"), BYTES).id())
                .extracting(e -> ((WebhookVerificationException) e).reason()).isEqualTo(Reason.TIMESTAMP_TOO_OLD);
        assertThatThrownBy(() -> WebhookVerifier.of(secret).verify(Map.of("webhook-id", "m", "webhook-timestamp", "soon", "webhook-signature", "v1,x"), BYTES))
                .extracting(e -> ((WebhookVerificationException) e).reason()).isEqualTo(Reason.INVALID_TIMESTAMP);
    }
}
