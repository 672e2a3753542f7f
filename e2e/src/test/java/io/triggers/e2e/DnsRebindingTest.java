package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.testing.TestDnsServer;
import io.triggers.testing.WebhookReceiver;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A name that is public when its endpoint is saved and points at loopback when the webhook is
 * sent (DNS rebinding): the worker judges the address it is about to connect to, and refuses.
 */
class DnsRebindingTest {

    private static final String NAME = "hooks.rebind.test";

    @Test
    void aNameRebindToLoopbackAfterSavingIsRefusedAtConnectTime() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start().answer(NAME, "93.184.216.34");
             WebhookReceiver receiver = WebhookReceiver.start();
             RunningService service = RunningService.start(Map.of(
                     "triggers.delivery.allow-private-targets", "false",
                     "triggers.delivery.dns-servers", dns.address(),
                     // One attempt: the next would be an hour later.
                     "triggers.delivery.retry-schedule", "1h"))) {
            String key = service.newOrganizationKey("rebinding");
            // The receiver's own port: were the name followed to 127.0.0.1, the webhook would arrive there.
            String url = receiver.url("/hook").replace("127.0.0.1", NAME);
            service.newEndpoint(key, url);
            assertThat(dns.wasAsked(NAME)).as("the api looked the name up").isTrue();

            dns.answer(NAME, "127.0.0.1");
            int questionsBefore = dns.questions().size();
            String eventId = service.ingest(key);

            await().atMost(Duration.ofSeconds(20)).until(() -> !attemptErrors(service, eventId).isEmpty());
            assertThat(attemptErrors(service, eventId)).singleElement().asString()
                    .isEqualTo("refused: " + NAME + " resolves to 127.0.0.1, not a public address (loopback)");
            assertThat(dns.questions().subList(questionsBefore, dns.questions().size()))
                    .as("the worker asked DNS when it connected").anyMatch(question -> question.name().equals(NAME));
            assertThat(receiver.received()).isEmpty();
        }
    }

    private static List<String> attemptErrors(RunningService service, String eventId) throws Exception {
        try (Connection db = service.jdbc();
             PreparedStatement query = db.prepareStatement("SELECT error FROM delivery_attempts WHERE event_id = ?")) {
            query.setObject(1, UUID.fromString(eventId));
            try (ResultSet rows = query.executeQuery()) {
                List<String> errors = new ArrayList<>();
                while (rows.next()) {
                    errors.add(rows.getString(1));
                }
                return errors;
            }
        }
    }
}
