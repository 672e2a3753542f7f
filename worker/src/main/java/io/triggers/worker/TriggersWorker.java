package io.triggers.worker;

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
 * The delivery worker: consumes the events stream and delivers signed webhooks. It serves no
 * public API, only actuator.
 */
@SpringBootApplication(scanBasePackages = "io.triggers.worker", excludeName = Traces.REDIS_COMMAND_OBSERVATIONS)
@ConfigurationPropertiesScan({"io.triggers.worker", "io.triggers.shared.config"})
@Import({SecretsAtRest.class, ReadinessMetrics.class, OperationalEvents.class, Traces.class, TracingExport.class})
public class TriggersWorker {

    /**
     * The application, configured from {@code triggers-worker.yml} (and any {@code application.yml}),
     * so api and worker can share one classpath in tests without reading each other's settings.
     */
    public static SpringApplicationBuilder application() {
        // LOG_FORMAT=json: structured JSON logs; otherwise readable text. Request ids reach the MDC.
        Map<String, Object> defaults = new HashMap<>(RequestContext.loggingDefaults(System.getenv("LOG_FORMAT")));
        defaults.put("spring.config.name", "triggers-worker,application");
        // No automatic context propagation: it restores thread locals on every Reactor signal, which
        // cost the worker about a fifth of its CPU per delivery; its per-delivery log lines put
        // request_id in the MDC themselves (RequestContext.logging).
        defaults.put("spring.reactor.context-propagation", "limited");
        // Tracing (README "Tracing"): trace context carried explicitly, spans only for sampled traces.
        defaults.putAll(Traces.defaults());
        return new SpringApplicationBuilder(TriggersWorker.class).properties(defaults);
    }

    public static void main(String[] args) {
        application().run(args);
    }
}
