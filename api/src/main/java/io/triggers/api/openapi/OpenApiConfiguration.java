package io.triggers.api.openapi;

import io.swagger.v3.core.util.Yaml;
import io.swagger.v3.oas.models.OpenAPI;
import io.triggers.shared.Version;
import java.io.IOException;
import java.io.InputStream;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;

/**
 * The OpenAPI document is written by hand from the contract ({@code openapi/triggers.yaml}) rather
 * than generated: the handlers read their bodies themselves to validate them field by field, so
 * generation would describe them poorly. springdoc serves it at {@code /v3/api-docs} with Swagger
 * UI at {@code /swagger-ui.html}; controller scanning is off ({@code springdoc.packages-to-scan}).
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    @Bean
    OpenAPI triggersOpenApi() throws IOException {
        try (InputStream document = new ClassPathResource("openapi/triggers.yaml").getInputStream()) {
            OpenAPI openApi = Yaml.mapper().readValue(document, OpenAPI.class);
            openApi.getInfo().setVersion(Version.current());
            return openApi;
        }
    }
}
