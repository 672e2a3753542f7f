package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.standardwebhooks.Webhook;
import io.triggers.cli.Triggers;
import io.triggers.client.Event;
import io.triggers.client.EventQuery;
import io.triggers.client.StoredEvent;
import io.triggers.client.TriggersClient;
import io.triggers.client.WebhookVerifier;
import io.triggers.testing.WebhookReceiver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The triggers CLI, run in this JVM with picocli, against the real api and worker. */
class CliTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Pattern SECRET = Pattern.compile("signing secret is (whsec_\\S+)");
    private static RunningService service;
    private static String apiUrl;

    @BeforeAll
    static void start() {
        service = RunningService.start();
        apiUrl = "http://127.0.0.1:" + service.api().getEnvironment().getProperty("local.server.port");
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    /** A CLI run: its output so far, and its exit code when it ends. */
    private record Run(StringWriter out, StringWriter err, CompletableFuture<Integer> exit) {
        String output() {
            return out.toString();
        }
    }

    private static Run run(String key, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Triggers.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--api-url", apiUrl, "--api-key", key));
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cli.execute(all.toArray(String[]::new)));
        return new Run(out, err, exit);
    }

    private static TriggersClient client(String key) {
        return TriggersClient.builder().apiUrl(apiUrl).apiKey(key).build();
    }

    @Test
    void listenForwardsEventsIngestedAfterItStartedSignedWithThePrintedSecretAndAcknowledgesNothing() throws Exception {
        String key = service.newUnlimitedOrganizationKey("listen");
        TriggersClient client = client(key);
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            String before = client.send(Event.of("listen.before", Map.of("n", 0))).eventId();
            Run listen = run(key, "listen", "--forward-to", receiver.url("/webhooks"), "--poll-interval", "100ms", "--count", "2");
            await().atMost(WAIT).until(() -> SECRET.matcher(listen.output()).find());
            Matcher printed = SECRET.matcher(listen.output());
            assertThat(printed.find()).isTrue();
            String secret = printed.group(1);

            String first = client.send(Event.of("listen.created", Map.of("order_id", 42)).withSource("shop")).eventId();
            String second = client.send(Event.of("listen.paid", Map.of("order_id", 42))).eventId();
            assertThat(listen.exit().get(WAIT.toSeconds(), TimeUnit.SECONDS)).as(listen.err().toString()).isZero();

            List<WebhookReceiver.Received> received = receiver.received();
            assertThat(received).extracting(webhook -> webhook.header("webhook-id")).containsExactly(first, second).doesNotContain(before);
            WebhookReceiver.Received webhook = received.get(0);
            assertThat(webhook.path()).isEqualTo("/webhooks");
            assertThat(WebhookVerifier.of(secret).verify(webhook.headers(), webhook.body()).id()).isEqualTo(first);
            new Webhook(secret).verify(webhook.bodyText(), webhook.httpHeaders());
            assertThat(webhook.bodyText()).contains("\"type\":\"listen.created\"", "\"source\":\"shop\"", "\"data\":{\"order_id\":42}");
            assertThat(listen.output()).contains("listen.created " + first + " -> 200", "listen.paid " + second + " -> 200");

            // A tap: nothing acknowledged, both still owed to pull consumers.
            assertThat(client.event(first).status()).isEqualTo("pending");
            assertThat(client.inbox(EventQuery.all()).stream().map(StoredEvent::eventId)).contains(before, first, second);
        }
    }

    @Test
    void listenWithAckAcknowledgesWhatTheLocalServerTook() throws Exception {
        String key = service.newUnlimitedOrganizationKey("listen-ack");
        TriggersClient client = client(key);
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            Run listen = run(key, "listen", "-f", receiver.url("/hooks"), "--ack", "--poll-interval", "100ms", "--count", "1");
            await().atMost(WAIT).until(() -> SECRET.matcher(listen.output()).find());
            String id = client.send(Event.of("listen.ack", Map.of())).eventId();
            assertThat(listen.exit().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
            assertThat(listen.output()).contains(id + " -> 200 (acknowledged)");
            assertThat(client.event(id).status()).isEqualTo("acknowledged");
        }
    }

    @Test
    void sendTailReplayAndEndpoints() throws Exception {
        String key = service.newUnlimitedOrganizationKey("cli");
        TriggersClient client = client(key);
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            Run tail = run(key, "tail", "--poll-interval", "100ms", "--count", "1", "--payload");
            await().atMost(WAIT).until(() -> tail.output().contains("Following"));
            Run send = run(key, "send", "--type", "cli.sent", "--data", "{\"amount\":7}");
            assertThat(send.exit().get(WAIT.toSeconds(), TimeUnit.SECONDS)).as(send.err().toString()).isZero();
            String id = send.output().trim();
            assertThat(client.event(id).payload().get("amount").asInt()).isEqualTo(7);
            assertThat(tail.exit().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
            assertThat(tail.output()).contains("cli.sent " + id, "{\"amount\":7}");

            Run create = run(key, "endpoints", "create", "--url", receiver.url("/cli"), "--types", "cli.*");
            assertThat(create.exit().get(WAIT.toSeconds(), TimeUnit.SECONDS)).as(create.err().toString()).isZero();
            assertThat(create.output()).contains(receiver.url("/cli"), "cli.*", "signing secret: whsec_");
            String endpointId = create.output().split(" ")[0];
            Run list = run(key, "endpoints", "list");
            assertThat(list.exit().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
            assertThat(list.output()).contains(endpointId);

            Run replay = run(key, "replay", id);
            assertThat(replay.exit().get(WAIT.toSeconds(), TimeUnit.SECONDS)).as(replay.err().toString()).isZero();
            await().atMost(WAIT).until(() -> receiver.received().stream().anyMatch(webhook -> id.equals(webhook.header("webhook-id"))));

            Run delete = run(key, "endpoints", "delete", endpointId);
            assertThat(delete.exit().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
            assertThat(client.endpoints()).isEmpty();

            Run missing = run(key, "replay", "00000000-0000-7000-8000-000000000000");
            assertThat(missing.exit().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(missing.err().toString()).contains("404 NOT_FOUND");
            assertThat(missing.output() + missing.err()).doesNotContain(key);
        }
    }
}
