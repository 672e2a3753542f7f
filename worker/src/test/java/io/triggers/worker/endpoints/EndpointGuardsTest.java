package io.triggers.worker.endpoints;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.triggers.shared.config.DeliveryProperties;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Per-endpoint circuit breakers: one per endpoint, kept while used, dropped after an hour idle. */
class EndpointGuardsTest {

    /** A clock the test moves. */
    private static final class Clock implements Ticker {

        private final AtomicLong nanos = new AtomicLong();

        @Override
        public long read() {
            return nanos.get();
        }

        void advance(Duration by) {
            nanos.addAndGet(by.toNanos());
        }
    }

    private static EndpointGuards guards(Ticker clock) {
        return new EndpointGuards(new DeliveryProperties(Duration.ofSeconds(15), List.of(Duration.ofSeconds(5)), false,
                Duration.ofHours(1), 16, Duration.ofDays(5), Duration.ofSeconds(30), List.of(), Duration.ofSeconds(5),
                Duration.ofHours(1)), clock);
    }

    @Test
    void anEndpointIdleForTheIdleTimeIsDroppedAndAUsedOneIsKept() {
        Clock clock = new Clock();
        EndpointGuards guards = guards(clock);
        UUID idle = UUID.randomUUID();
        UUID used = UUID.randomUUID();
        guards.breaker(idle);
        guards.breaker(used);
        assertThat(guards.endpointsKept()).isEqualTo(2);
        clock.advance(Duration.ofMinutes(40));
        guards.breaker(used);
        clock.advance(Duration.ofMinutes(40));
        guards.dropIdle();
        assertThat(guards.endpointsKept()).isEqualTo(1);
        assertThat(guards.countInState(CircuitBreaker.State.CLOSED)).isEqualTo(1);
    }

    @Test
    void aDroppedEndpointComesBackWithAClosedCircuitAndOpenForIsTheSetting() {
        Clock clock = new Clock();
        EndpointGuards guards = guards(clock);
        UUID endpoint = UUID.randomUUID();
        guards.breaker(endpoint).transitionToOpenState();
        assertThat(guards.countInState(CircuitBreaker.State.OPEN)).isEqualTo(1);
        clock.advance(Duration.ofHours(2));
        guards.dropIdle();
        assertThat(guards.breaker(endpoint).getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(guards.openFor()).isEqualTo(Duration.ofSeconds(30));
    }
}
