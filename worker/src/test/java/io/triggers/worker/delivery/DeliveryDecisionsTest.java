package io.triggers.worker.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.worker.delivery.DeliveryDecisions.Decision;
import io.triggers.worker.delivery.DeliveryDecisions.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What becomes of a delivery after each kind of outcome: acknowledge, retry at, pause, dead. */
class DeliveryDecisionsTest {

    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    private final RetrySchedule schedule = new RetrySchedule(List.of(Duration.ofSeconds(5), Duration.ofMinutes(1)));

    private static AttemptOutcome answered(int status, Duration retryAfter) {
        return new AttemptOutcome(status, 12, null, "", retryAfter);
    }

    @Test
    void aSuccessIsAcknowledgedAsDelivered() {
        Decision decision = DeliveryDecisions.afterAttempt(answered(204, null), 1, schedule, NOW, "k");
        assertThat(decision.kind()).isEqualTo(Kind.ACKNOWLEDGE);
        assertThat(decision.status()).isEqualTo("delivered");
        assertThat(decision.pauseUntil()).isNull();
    }

    @Test
    void aFailureIsRetriedAfterItsStepWithoutPausingTheEndpoint() {
        Decision first = DeliveryDecisions.afterAttempt(answered(500, null), 1, schedule, NOW, "k");
        assertThat(first.kind()).isEqualTo(Kind.RETRY);
        assertThat(first.status()).isEqualTo("failed");
        assertThat(first.at()).isBetween(NOW.plusSeconds(4), NOW.plusSeconds(6));
        assertThat(first.pauseUntil()).isNull();
        Decision second = DeliveryDecisions.afterAttempt(new AttemptOutcome(null, 15_000, "timeout", null, null), 2, schedule, NOW, "k");
        assertThat(second.at()).isBetween(NOW.plusSeconds(48), NOW.plusSeconds(72));
    }

    @Test
    void theAttemptAfterTheLastStepAndA410AreDead() {
        assertThat(DeliveryDecisions.afterAttempt(answered(500, null), 3, schedule, NOW, "k"))
                .satisfies(d -> assertThat(d.kind()).isEqualTo(Kind.ACKNOWLEDGE))
                .satisfies(d -> assertThat(d.status()).isEqualTo("dead"));
        assertThat(DeliveryDecisions.afterAttempt(answered(410, null), 1, schedule, NOW, "k").status()).isEqualTo("dead");
    }

    @Test
    void aRetryAfterPausesTheEndpointAndPutsTheRetryNoSoonerThanIt() {
        Decision decision = DeliveryDecisions.afterAttempt(answered(429, Duration.ofSeconds(30)), 1, schedule, NOW, "k");
        assertThat(decision.kind()).isEqualTo(Kind.RETRY);
        assertThat(decision.pauseUntil()).isEqualTo(NOW.plusSeconds(30));
        assertThat(decision.at()).isEqualTo(NOW.plusSeconds(30));
    }

    @Test
    void a429Or503WithoutRetryAfterPausesTheEndpointForTheStepAtMostAMinute() {
        for (int status : new int[] {429, 503}) {
            Decision decision = DeliveryDecisions.afterAttempt(answered(status, null), 1, schedule, NOW, "k");
            assertThat(decision.pauseUntil()).isEqualTo(decision.at());
            assertThat(decision.pauseUntil()).isBetween(NOW.plusSeconds(4), NOW.plusSeconds(6));
        }
        RetrySchedule longSteps = new RetrySchedule(List.of(Duration.ofHours(1)));
        Decision decision = DeliveryDecisions.afterAttempt(answered(503, null), 1, longSteps, NOW, "k");
        assertThat(decision.pauseUntil()).isEqualTo(NOW.plus(DeliveryDecisions.MAX_IMPLIED_PAUSE));
        assertThat(decision.at()).isAfter(NOW.plusSeconds(2000));
        assertThat(DeliveryDecisions.afterAttempt(answered(500, null), 1, schedule, NOW, "k").pauseUntil()).isNull();
    }

    @Test
    void aDeliveryPutOffUsesNoAttemptAndPausesItsEndpoint() {
        Decision decision = DeliveryDecisions.putOff(NOW.plusSeconds(30));
        assertThat(decision.kind()).isEqualTo(Kind.RETRY);
        assertThat(decision.attempted()).isFalse();
        assertThat(decision.status()).isNull();
        assertThat(decision.at()).isEqualTo(NOW.plusSeconds(30));
        assertThat(decision.pauseUntil()).isEqualTo(NOW.plusSeconds(30));
        assertThat(DeliveryDecisions.notOwed().kind()).isEqualTo(Kind.ACKNOWLEDGE);
        assertThat(DeliveryDecisions.endpointDisabled().status()).isEqualTo("dead");
    }
}
