package io.triggers.api.endpoints;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * {@link EndpointsController#quietly}: however publishing an endpoint's limits goes wrong, the
 * request that stored them is not failed by it.
 */
class PublishingLimitsQuietlyTest {

    private static final UUID ENDPOINT = UUID.randomUUID();

    @Test
    void aPublishingThatSucceedsIsWaitedFor() {
        AtomicBoolean published = new AtomicBoolean();
        EndpointsController.quietly(() -> Mono.fromRunnable(() -> published.set(true)), Duration.ofSeconds(5), ENDPOINT)
                .block(Duration.ofSeconds(5));
        assertThat(published).isTrue();
    }

    @Test
    void anErrorCompletesEmpty() {
        Mono<Void> quiet = EndpointsController.quietly(() -> Mono.error(new IllegalStateException("redis down")),
                Duration.ofSeconds(5), ENDPOINT);
        assertThat(quiet.hasElement().block(Duration.ofSeconds(5))).isFalse();
    }

    @Test
    void aPublisherThatThrowsInsteadOfReturningCompletesEmpty() {
        Mono<Void> quiet = EndpointsController.quietly(() -> {
            throw new IllegalStateException("not even a Mono");
        }, Duration.ofSeconds(5), ENDPOINT);
        assertThat(quiet.hasElement().block(Duration.ofSeconds(5))).isFalse();
    }

    @Test
    void aPublishingThatHangsIsGivenUpOnAfterTheTimeout() {
        Mono<Void> quiet = EndpointsController.quietly(Mono::never, Duration.ofMillis(20), ENDPOINT);
        assertThat(quiet.hasElement().block(Duration.ofSeconds(5))).isFalse();
    }
}
