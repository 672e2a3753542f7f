package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.standardwebhooks.Webhook;
import io.triggers.shared.crypto.MissingEncryptionKeys;
import io.triggers.testing.TestServers;
import io.triggers.testing.WebhookReceiver;
import io.triggers.testing.WebhookReceiver.Received;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The worker signs with secrets it decrypts: after the encryption key is rotated (a new key first,
 * the old one after it), endpoints saved under the old key still get verifiable webhooks; with
 * their key gone, nothing is sent and the attempt says why; without keys the worker does not start.
 */
class SecretsAtRestDeliveryTest {

    private static final Duration DELIVERY_WAIT = Duration.ofSeconds(20);

    @Test
    void oldEndpointsStillSignVerifiablyAfterAKeyRotation() throws Exception {
        try (RunningService service = RunningService.start(); WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("rotation");
            String secret = service.newEndpoint(key, receiver.url("/hooks")).get("secret").stringValue();

            ConfigurableApplicationContext original = service.worker();
            service.startWorker(Map.of("triggers.encryption-keys", "k2:" + TestServers.newEncryptionKey() + "," + TestServers.ENCRYPTION_KEYS));
            service.stopWorker(original, null);

            String eventId = service.ingest(key);
            await().atMost(DELIVERY_WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)));
            Received webhook = receiver.received().get(0);
            assertThat(webhook.header("webhook-id")).isEqualTo(eventId);
            assertThatCode(() -> new Webhook(secret).verify(webhook.bodyText(), webhook.httpHeaders())).doesNotThrowAnyException();
        }
    }

    @Test
    void withoutItsKeyAnEndpointGetsNothingAndTheAttemptSaysWhy() throws Exception {
        try (RunningService service = RunningService.start(); WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("lost-key");
            service.newEndpoint(key, receiver.url("/hooks"));

            ConfigurableApplicationContext original = service.worker();
            service.startWorker(Map.of("triggers.encryption-keys", "other:" + TestServers.newEncryptionKey()));
            service.stopWorker(original, null);

            String eventId = service.ingest(key);
            await().atMost(DELIVERY_WAIT).until(() -> attemptError(service, eventId) != null);
            assertThat(attemptError(service, eventId)).contains("signing secret cannot be decrypted").contains("TRIGGERS_ENCRYPTION_KEYS");
            assertThat(receiver.received()).isEmpty();
        }
    }

    @Test
    void theWorkerRefusesToStartWithoutKeys() {
        try (RunningService service = RunningService.start()) {
            assertThatThrownBy(() -> service.startWorker(Map.of("triggers.encryption-keys", "")))
                    .hasRootCauseInstanceOf(MissingEncryptionKeys.class)
                    .rootCause().hasMessageContaining("TRIGGERS_ENCRYPTION_KEYS is not set");
        }
    }

    private static String attemptError(RunningService service, String eventId) throws Exception {
        try (Connection db = service.jdbc();
             PreparedStatement query = db.prepareStatement("SELECT error FROM delivery_attempts WHERE event_id = ? ORDER BY attempted_at LIMIT 1")) {
            query.setObject(1, UUID.fromString(eventId));
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }
}
