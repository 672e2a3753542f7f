package io.triggers.api.web;

import io.micrometer.observation.ObservationRegistry;
import org.springframework.boot.webflux.autoconfigure.WebHttpHandlerBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The public port's requests are not Micrometer observations. An observation per request (its
 * context, convention, handlers, and its entry in the Reactor context restored on every signal)
 * was 14 % of the api's CPU under load (issue 17's profiles); Triggers does no tracing, and
 * {@link io.triggers.api.events.RequestMetrics} records {@code http_server_requests} itself, with the
 * same name and tags, from one callback per answer.
 */
@Configuration(proxyBeanMethods = false)
public class ObservationsOff {

    @Bean
    WebHttpHandlerBuilderCustomizer noRequestObservations() {
        return builder -> builder.observationRegistry(ObservationRegistry.NOOP);
    }
}
