package io.triggers.shared.health;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.health.actuate.endpoint.HealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code triggers_ready}: 1 while the app's readiness group ({@code /actuator/health/readiness})
 * is UP, 0 otherwise, so Prometheus can alert on a replica the load balancer took out of rotation
 * (it scrapes metrics, not health). Looked at every 10 s on a thread of its own: the health endpoint
 * waits for the reactive checks, which must not happen on an event loop. Both apps import it.
 */
@Configuration(proxyBeanMethods = false)
public class ReadinessMetrics {

    private static final Logger log = LoggerFactory.getLogger(ReadinessMetrics.class);
    private static final long EVERY_SECONDS = 10;

    @Bean
    ReadinessGauge readinessGauge(HealthEndpoint health, MeterRegistry meters) {
        return new ReadinessGauge(health, meters);
    }

    /** The gauge and the thread that keeps it current. */
    static final class ReadinessGauge implements SmartLifecycle {

        private final HealthEndpoint health;
        private final AtomicInteger ready = new AtomicInteger();
        private volatile ScheduledExecutorService looking;

        ReadinessGauge(HealthEndpoint health, MeterRegistry meters) {
            this.health = health;
            Gauge.builder("triggers.ready", ready, AtomicInteger::get)
                    .description("1 while the readiness health group is UP (sampled every 10 s)")
                    .register(meters);
        }

        void look() {
            try {
                HealthDescriptor readiness = health.healthForPath("readiness");
                ready.set(readiness != null && Status.UP.equals(readiness.getStatus()) ? 1 : 0);
            } catch (RuntimeException e) {
                ready.set(0);
                log.debug("readiness not known: {}", e.toString());
            }
        }

        @Override
        public void start() {
            ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "triggers-readiness-gauge");
                thread.setDaemon(true);
                return thread;
            });
            executor.scheduleWithFixedDelay(this::look, 0, EVERY_SECONDS, TimeUnit.SECONDS);
            looking = executor;
        }

        @Override
        public void stop() {
            ScheduledExecutorService executor = looking;
            looking = null;
            if (executor != null) {
                executor.shutdownNow();
            }
        }

        @Override
        public boolean isRunning() {
            return looking != null;
        }
    }
}
