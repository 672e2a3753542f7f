package io.triggers.api;

import io.triggers.shared.crypto.SecretsAtRest;
import io.triggers.shared.events.OperationalEvents;
import io.triggers.shared.health.ReadinessMetrics;
import io.triggers.shared.logging.RequestContext;
import io.triggers.shared.tracing.Traces;
import io.triggers.shared.tracing.TracingExport;
import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Import;

/**
 * The ingestion and management API.
 */
@SpringBootApplication(scanBasePackages = "io.triggers.api", excludeName = Traces.REDIS_COMMAND_OBSERVATIONS)
@ConfigurationPropertiesScan({"io.triggers.api", "io.triggers.shared.config"})
@Import({SecretsAtRest.class, ReadinessMetrics.class, OperationalEvents.class, Traces.class, TracingExport.class})
public class TriggersApi {

    /**
     * The application, configured from {@code triggers-api.yml} (and any {@code application.yml}),
     * so api and worker can share one classpath in tests without reading each other's settings.
     */
    public static SpringApplicationBuilder application() {
        // LOG_FORMAT=json: structured JSON logs; otherwise readable text. Request ids reach the MDC.
        Map<String, Object> defaults = new HashMap<>(RequestContext.loggingDefaults(System.getenv("LOG_FORMAT")));
        defaults.put("spring.config.name", "triggers-api,application");
        // No automatic context propagation: restoring thread locals on every Reactor signal cost the
        // api ~10 % of its CPU per request (issue 17). The lines logged about a request put its
        // request_id in the MDC themselves (RequestContext.logging), as the worker's do.
        defaults.put("spring.reactor.context-propagation", "limited");
        // Tracing (README "Tracing"): trace context carried explicitly, spans only for sampled traces.
        defaults.putAll(Traces.defaults());
        return new SpringApplicationBuilder(TriggersApi.class).properties(defaults);
    }

    public static void main(String[] args) {
        application().run(args);
    }
}
