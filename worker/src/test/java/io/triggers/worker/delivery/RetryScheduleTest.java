package io.triggers.worker.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryScheduleTest {

    private final RetrySchedule schedule = new RetrySchedule(
            List.of(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(2)));

    @Test
    void eachAttemptWaitsItsStepWithTwentyPercentJitter() {
        for (int entry = 0; entry < 500; entry++) {
            String id = "1795316991483-" + entry;
            assertThat(schedule.backoff(id, 1).toMillis()).isBetween(4_000L, 6_000L);
            assertThat(schedule.backoff(id, 2).toMillis()).isBetween(24_000L, 36_000L);
            assertThat(schedule.backoff(id, 3).toMillis()).isBetween(96_000L, 144_000L);
            // Past the schedule the last step repeats.
            assertThat(schedule.backoff(id, 7).toMillis()).isBetween(96_000L, 144_000L);
        }
    }

    @Test
    void theJitterIsSpreadButStablePerEntryAndStep() {
        assertThat(schedule.backoff("1-0", 1)).isEqualTo(schedule.backoff("1-0", 1));
        long distinct = java.util.stream.IntStream.range(0, 200)
                .mapToObj(i -> schedule.backoff("1795316991483-" + i, 1)).distinct().count();
        assertThat(distinct).isGreaterThan(100);
    }

    @Test
    void theAttemptAfterTheLastStepIsTheLast() {
        assertThat(schedule.isLast(1)).isFalse();
        assertThat(schedule.isLast(3)).isFalse();
        assertThat(schedule.isLast(4)).isTrue();
    }
}
