package io.triggers.cli;

import io.triggers.client.TriggersClient;
import picocli.CommandLine.Option;

/** Where the API is and which key to use; every command takes them, from the environment by default. */
final class ApiOptions {

    @Option(names = "--api-url", defaultValue = "${env:TRIGGERS_API_URL:-http://localhost:8080}",
            description = "The API's base URL (env TRIGGERS_API_URL; default ${DEFAULT-VALUE}).")
    String apiUrl;

    // Never echoed: no default shown in help, and never printed by any command.
    @Option(names = "--api-key", defaultValue = "${env:TRIGGERS_API_KEY}", description = "The organization's API key (env TRIGGERS_API_KEY).")
    String apiKey;

    TriggersClient client() {
        if (apiKey == null || apiKey.isBlank()) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(new Triggers()),
                    "an API key is needed: --api-key or TRIGGERS_API_KEY");
        }
        return TriggersClient.builder().apiUrl(apiUrl).apiKey(apiKey).build();
    }
}
