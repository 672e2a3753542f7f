package io.triggers.cli;

import io.triggers.client.StoredEvent;
import io.triggers.client.TriggersClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "tail", description = "Print the organization's events as they are created (follows the event log from now on).")
final class TailCommand implements Callable<Integer> {

    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

    @Mixin
    ApiOptions api;

    @Spec
    CommandSpec spec;

    @Option(names = "--type", description = "Only events of this type.")
    String type;

    @Option(names = "--payload", description = "Print each event's payload too.")
    boolean payload;

    @Option(names = "--poll-interval", defaultValue = "PT0.5S", converter = DurationConverter.class,
            description = "How often to look for new events (default 500ms).")
    Duration pollInterval;

    @Option(names = "--count", description = "Stop after this many events.", hidden = true)
    Integer count;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        try (TriggersClient client = api.client()) {
            EventLogFollower follower = new EventLogFollower(client, type);
            follower.start();
            out.println("Following the event log of " + api.apiUrl + " (Ctrl-C to stop)");
            out.flush();
            int shown = 0;
            while (count == null || shown < count) {
                for (StoredEvent event : follower.poll()) {
                    out.println(TIME.format(event.createdAt()) + " " + event.eventType() + " " + event.eventId() + " " + event.status()
                            + (payload ? " " + event.payload() : ""));
                    shown++;
                }
                out.flush();
                if (count == null || shown < count) {
                    Thread.sleep(pollInterval.toMillis());
                }
            }
        }
        return 0;
    }
}
