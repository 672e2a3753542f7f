package io.triggers.cli;

import io.triggers.client.Endpoint;
import io.triggers.client.NewEndpoint;
import io.triggers.client.TriggersClient;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "endpoints", description = "List, create and delete webhook endpoints.",
        subcommands = {EndpointsCommand.List.class, EndpointsCommand.Create.class, EndpointsCommand.Delete.class})
final class EndpointsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static void print(PrintWriter out, Endpoint endpoint) {
        out.println(endpoint.id() + "  " + endpoint.url() + "  " + (endpoint.enabled() ? "enabled" : "disabled") + "  "
                + (endpoint.eventTypes().isEmpty() ? "*" : String.join(",", endpoint.eventTypes())));
    }

    @Command(name = "list", description = "Every endpoint: id, url, state, event types.")
    static final class List implements Callable<Integer> {
        @Mixin
        ApiOptions api;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (TriggersClient client = api.client()) {
                client.endpoints().forEach(endpoint -> print(spec.commandLine().getOut(), endpoint));
            }
            return 0;
        }
    }

    @Command(name = "create", description = "Create an endpoint; prints it and its signing secret.")
    static final class Create implements Callable<Integer> {
        @Mixin
        ApiOptions api;
        @Spec
        CommandSpec spec;
        @Option(names = "--url", required = true)
        String url;
        @Option(names = "--types", split = ",", description = "Event types or prefix.* patterns (default: every event).")
        java.util.List<String> types;
        @Option(names = "--description")
        String description;

        @Override
        public Integer call() {
            try (TriggersClient client = api.client()) {
                Endpoint created = client.createEndpoint(NewEndpoint.of(url).withDescription(description)
                        .withEventTypes(types == null ? null : java.util.List.copyOf(types)));
                print(spec.commandLine().getOut(), created);
                // The secret is the user's to copy now: the API shows it again only on request.
                spec.commandLine().getOut().println("signing secret: " + created.secret());
            }
            return 0;
        }
    }

    @Command(name = "delete", description = "Delete an endpoint.")
    static final class Delete implements Callable<Integer> {
        @Mixin
        ApiOptions api;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "ENDPOINT_ID")
        String id;

        @Override
        public Integer call() {
            try (TriggersClient client = api.client()) {
                client.deleteEndpoint(id);
                spec.commandLine().getOut().println("deleted " + id);
            }
            return 0;
        }
    }

}
