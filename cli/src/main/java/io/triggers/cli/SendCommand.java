package io.triggers.cli;

import io.triggers.client.Event;
import io.triggers.client.EventCreated;
import io.triggers.client.TriggersClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import tools.jackson.databind.json.JsonMapper;

@Command(name = "send", description = "Send one event; prints its id.")
final class SendCommand implements Callable<Integer> {

    @Mixin
    ApiOptions api;

    @Spec
    CommandSpec spec;

    @Option(names = {"-t", "--type"}, required = true, description = "The event type, e.g. order.created.")
    String type;

    @Option(names = {"-d", "--data"}, defaultValue = "{}", description = "The payload, JSON (default {}).")
    String data;

    @Option(names = "--source", description = "Where the event comes from.")
    String source;

    @Option(names = "--idempotency-key", description = "The event's idempotency key (default: a new UUIDv7).")
    String idempotencyKey;

    @Override
    public Integer call() {
        Event event = Event.of(type, JsonMapper.builder().build().readTree(data)).withSource(source).withIdempotencyKey(idempotencyKey);
        try (TriggersClient client = api.client()) {
            EventCreated created = client.send(event);
            spec.commandLine().getOut().println(created.eventId() + (created.replayed() ? " (replayed: the key was seen)" : ""));
        }
        return 0;
    }
}
