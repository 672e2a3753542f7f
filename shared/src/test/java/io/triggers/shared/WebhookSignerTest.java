package io.triggers.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import io.triggers.shared.webhooks.WebhookSigner;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Our signatures, checked by the Standard Webhooks reference library rather than by ourselves. */
class WebhookSignerTest {

    private static final String BODY = "{\"id\":\"e1\",\"type\":\"order.created\",\"data\":{\"order_id\":42}}";

    @Test
    void newSecretsAreWhsecAndThirtyTwoRandomBytes() {
        String secret = WebhookSigner.newSecret();
        assertThat(secret).startsWith("whsec_");
        assertThat(Base64.getDecoder().decode(secret.substring(6))).hasSize(32);
        assertThat(WebhookSigner.newSecret()).isNotEqualTo(secret);
    }

    @Test
    void referenceLibraryVerifiesOurSignature() {
        String secret = WebhookSigner.newSecret();
        long now = Instant.now().getEpochSecond();
        String header = WebhookSigner.signatureHeader(List.of(secret), "msg_1", now, BODY.getBytes(StandardCharsets.UTF_8));

        assertThat(header).startsWith("v1,");
        assertThatCode(() -> new Webhook(secret).verify(BODY, headers("msg_1", now, header))).doesNotThrowAnyException();
    }

    @Test
    void eachActiveSecretVerifiesDuringRotation() {
        String current = WebhookSigner.newSecret();
        String previous = WebhookSigner.newSecret();
        long now = Instant.now().getEpochSecond();
        String header = WebhookSigner.signatureHeader(List.of(current, previous), "msg_2", now, BODY.getBytes(StandardCharsets.UTF_8));

        assertThat(header.split(" ")).hasSize(2);
        assertThatCode(() -> new Webhook(current).verify(BODY, headers("msg_2", now, header))).doesNotThrowAnyException();
        assertThatCode(() -> new Webhook(previous).verify(BODY, headers("msg_2", now, header))).doesNotThrowAnyException();
    }

    @Test
    void aTamperedBodyOrAnotherSecretFailsVerification() {
        String secret = WebhookSigner.newSecret();
        long now = Instant.now().getEpochSecond();
        String header = WebhookSigner.signatureHeader(List.of(secret), "msg_3", now, BODY.getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> new Webhook(secret).verify(BODY.replace("42", "43"), headers("msg_3", now, header)))
                .isInstanceOf(WebhookVerificationException.class);
        assertThatThrownBy(() -> new Webhook(WebhookSigner.newSecret()).verify(BODY, headers("msg_3", now, header)))
                .isInstanceOf(WebhookVerificationException.class);
    }

    private static HttpHeaders headers(String id, long timestamp, String signature) {
        return HttpHeaders.of(Map.of(
                "webhook-id", List.of(id),
                "webhook-timestamp", List.of(Long.toString(timestamp)),
                "webhook-signature", List.of(signature)), (name, value) -> true);
    }
}
