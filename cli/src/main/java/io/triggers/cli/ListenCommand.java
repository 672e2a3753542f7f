package io.triggers.cli;

import io.triggers.client.StoredEvent;
import io.triggers.client.TriggersClient;
import io.triggers.client.TriggersException;
import io.triggers.client.WebhookSigner;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Brings the organization's events to a local server, as Stripe's {@code listen} does: follows the
 * event log from now on, signs each new event as a Standard Webhooks delivery with a secret made
 * for this session (printed at start, for the local server to verify with), posts it to
 * {@code --forward-to}, and prints the local answer. It is a tap: real endpoints and pull consumers
 * are unaffected, and nothing is acknowledged unless {@code --ack} is given.
 */
@Command(name = "listen", description = "Forward your organization's new events, signed, to a local URL (a tap: acknowledges nothing unless --ack).")
final class ListenCommand implements Callable<Integer> {

    @Mixin
    ApiOptions api;

    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--forward-to"}, required = true, description = "Where to post each event, e.g. http://localhost:3000/webhooks.")
    URI forwardTo;

    @Option(names = "--ack", description = "Acknowledge each event the local server answers with 2xx (it is then not delivered again anywhere).")
    boolean ack;

    @Option(names = "--type", description = "Only events of this type.")
    String type;

    @Option(names = "--secret", description = "Sign with this whsec_ secret instead of a new one.")
    String secret;

    @Option(names = "--poll-interval", defaultValue = "PT0.5S", converter = DurationConverter.class,
            description = "How often to look for new events (default 500ms).")
    Duration pollInterval;

    @Option(names = "--count", description = "Stop after forwarding this many events.", hidden = true)
    Integer count;

    private final HttpClient local = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final JsonMapper json = JsonMapper.builder().build();

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        String signingSecret = secret != null ? secret : WebhookSigner.newSecret();
        try (TriggersClient client = api.client()) {
            EventLogFollower follower = new EventLogFollower(client, type);
            follower.start();
            out.println("Ready! Forwarding new events to " + forwardTo + (ack ? " (acknowledging 2xx answers)" : ""));
            out.println("Your webhook signing secret is " + signingSecret);
            out.flush();
            int forwarded = 0;
            while (count == null || forwarded < count) {
                for (StoredEvent event : follower.poll()) {
                    out.println(TailCommand.TIME.format(Instant.now()) + " " + event.eventType() + " " + event.eventId() + " -> "
                            + forward(client, event, signingSecret));
                    out.flush();
                    forwarded++;
                }
                if (count == null || forwarded < count) {
                    Thread.sleep(pollInterval.toMillis());
                }
            }
        }
        return 0;
    }

    /** Posts the event, signed, and answers what to print: the status, or the error. */
    private String forward(TriggersClient client, StoredEvent event, String signingSecret) throws InterruptedException {
        ObjectNode webhook = json.createObjectNode();
        webhook.put("id", event.eventId());
        webhook.put("type", event.eventType());
        webhook.put("timestamp", event.createdAt().toString());
        if (event.source() != null) {
            webhook.put("source", event.source());
        }
        webhook.set("data", event.payload());
        webhook.set("metadata", event.metadata() == null ? json.createObjectNode() : event.metadata());
        byte[] body = json.writeValueAsBytes(webhook);
        long timestamp = Instant.now().getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(forwardTo)
                .timeout(Duration.ofSeconds(15))
                .header("content-type", "application/json")
                .header("user-agent", "Triggers-CLI")
                .header("webhook-id", event.eventId())
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", WebhookSigner.sign(signingSecret, event.eventId(), timestamp, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        int status;
        try {
            status = local.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return "error: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
        }
        if (!ack || status < 200 || status >= 300) {
            return Integer.toString(status);
        }
        try {
            client.acknowledge(event.eventId());
            return status + " (acknowledged)";
        } catch (TriggersException e) {
            return status + " (not acknowledged: " + e.getMessage() + ")";
        }
    }
}
