package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.triggers.testing.BlockHoundExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The api's tests run under BlockHound: a blocking call on a non-blocking thread fails them. */
class BlockHoundTest {

    @Test
    void aBlockingCallOnANonBlockingThreadIsCaught() {
        assertThatThrownBy(() -> Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return 1;
                }).subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(5)))
                .hasMessageContaining("Blocking call!");
        // Recorded as well, so that the test class would fail even had the code swallowed the error.
        assertThat(BlockHoundExtension.takeViolations()).singleElement().asString().startsWith("java.lang.Thread.sleep");
    }
}
