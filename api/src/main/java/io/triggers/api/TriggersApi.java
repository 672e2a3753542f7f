package io.triggers.api;

import io.triggers.shared.crypto.SecretsAtRest;
import io.triggers.shared.logging.RequestContext;
import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Import;

/**
 * The ingestion and management API.
 */
@SpringBootApplication(scanBasePackages = "io.triggers.api")
@ConfigurationPropertiesScan({"io.triggers.api", "io.triggers.shared.config"})
@Import(SecretsAtRest.class)
public class TriggersApi {

    /**
     * The application, configured from {@code triggers-api.yml} (and any {@code application.yml}),
     * so api and worker can share one classpath in tests without reading each other's settings.
     */
    public static SpringApplicationBuilder application() {
        // LOG_FORMAT=json: structured JSON logs; otherwise readable text. Request ids reach the MDC.
        Map<String, Object> defaults = new HashMap<>(RequestContext.loggingDefaults(System.getenv("LOG_FORMAT")));
        defaults.put("spring.config.name", "triggers-api,application");
        // request_id follows each request across threads into every log line (see RequestContext).
        defaults.put("spring.reactor.context-propagation", "auto");
        return new SpringApplicationBuilder(TriggersApi.class).properties(defaults);
    }

    public static void main(String[] args) {
        application().run(args);
    }
}
