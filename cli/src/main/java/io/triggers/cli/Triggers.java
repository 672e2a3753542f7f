package io.triggers.cli;

import io.triggers.client.TriggersException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code triggers} command: the API from a terminal, and webhooks brought to a laptop ({@code listen}). */
@Command(name = "triggers", mixinStandardHelpOptions = true, version = "triggers 0.1.0",
        description = "Send and follow events, manage endpoints, and forward your organization's events to a local server.",
        subcommands = {SendCommand.class, TailCommand.class, ReplayCommand.class, EndpointsCommand.class, ListenCommand.class,
                CommandLine.HelpCommand.class})
public final class Triggers implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with its error handling: an API error is one line on stderr and exit code 1. */
    public static CommandLine commandLine() {
        return new CommandLine(new Triggers()).setExecutionExceptionHandler((error, commandLine, parseResult) -> {
            if (error instanceof TriggersException api) {
                commandLine.getErr().println("triggers: " + api.getMessage());
                return 1;
            }
            if (error instanceof CommandLine.ParameterException usage) {
                commandLine.getErr().println("triggers: " + usage.getMessage());
                return 2;
            }
            throw error;
        });
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
