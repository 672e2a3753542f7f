package io.triggers.shared.tracing;

import io.micrometer.tracing.exporter.SpanExportingPredicate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Only Triggers' own spans ({@link Traces#SPANS}) are exported. Spring Boot still observes the few
 * requests to actuator (a Prometheus scrape, a health probe) and, with tracing, makes each a trace of
 * its own: sampled at the probability, they would fill the trace store with scrapes.
 */
@Configuration(proxyBeanMethods = false)
public class TracingExport {

    @Bean
    SpanExportingPredicate onlyTriggersSpans() {
        return span -> Traces.SPANS.contains(span.getName());
    }
}
