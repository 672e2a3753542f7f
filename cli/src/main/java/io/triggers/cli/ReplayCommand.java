package io.triggers.cli;

import io.triggers.client.TriggersClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "replay", description = "Deliver an event again, to its matching endpoints or to one.")
final class ReplayCommand implements Callable<Integer> {

    @Mixin
    ApiOptions api;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "EVENT_ID")
    String eventId;

    @Option(names = "--endpoint", description = "Only to this endpoint.")
    String endpointId;

    @Override
    public Integer call() {
        try (TriggersClient client = api.client()) {
            client.replay(eventId, endpointId);
            spec.commandLine().getOut().println("replaying " + eventId);
        }
        return 0;
    }
}
