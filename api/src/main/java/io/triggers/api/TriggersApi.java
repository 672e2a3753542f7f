package io.triggers.api;

import java.util.Map;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The ingestion and management API.
 */
@SpringBootApplication(scanBasePackages = "io.triggers.api")
@ConfigurationPropertiesScan({"io.triggers.api", "io.triggers.shared.config"})
public class TriggersApi {

    /**
     * The application, configured from {@code triggers-api.yml} (and any {@code application.yml}),
     * so api and worker can share one classpath in tests without reading each other's settings.
     */
    public static SpringApplicationBuilder application() {
        return new SpringApplicationBuilder(TriggersApi.class)
                .properties(Map.of("spring.config.name", "triggers-api,application"));
    }

    public static void main(String[] args) {
        application().run(args);
    }
}
