package io.triggers.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.client.Transport.Kind;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The pure half of retrying: how long to wait, and what is worth another attempt. */
class RetryPolicyTest {

    private final RetryPolicy policy = new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofSeconds(30), 10);

    @Test
    void theCeilingDoublesUpToTheCapAndTheWaitIsAFractionOfIt() {
        assertThat(policy.backoff(0, null, () -> 0.999)).isEqualTo(Duration.ofMillis(99));
        assertThat(policy.backoff(3, null, () -> 0.999)).isEqualTo(Duration.ofMillis(799));
        assertThat(policy.backoff(30, null, () -> 0.999)).isEqualTo(Duration.ofMillis(1998));
        assertThat(policy.backoff(3, null, () -> 0.5)).isEqualTo(Duration.ofMillis(400));
        assertThat(policy.backoff(3, null, () -> 0.0)).isEqualTo(Duration.ZERO);
    }

    @Test
    void retryAfterIsTheLeastWait() {
        assertThat(policy.backoff(0, Duration.ofSeconds(3), () -> 0.5)).isEqualTo(Duration.ofSeconds(3));
        assertThat(policy.backoff(5, Duration.ofMillis(10), () -> 0.5)).isEqualTo(Duration.ofMillis(1000));
    }

    @Test
    void statusesWorthRetrying() {
        for (Kind kind : Kind.values()) {
            assertThat(Transport.retriesOn(kind, 429)).isTrue();
            assertThat(Transport.retriesOn(kind, 503)).isTrue();
            assertThat(Transport.retriesOn(kind, 400)).isFalse();
            assertThat(Transport.retriesOn(kind, 422)).isFalse();
            assertThat(Transport.retriesOn(kind, 500)).isFalse();
        }
        assertThat(Transport.retriesOn(Kind.INGEST, 409)).as("the same key still in flight").isTrue();
        assertThat(Transport.retriesOn(Kind.WRITE, 409)).isFalse();
        assertThat(Transport.retriesOn(Kind.IDEMPOTENT, 409)).isFalse();
    }

    @Test
    void aWriteWithoutKeyIsRepeatedOnlyWhenItCannotHaveBeenSent() {
        assertThat(Transport.retriesAfter(Kind.WRITE, new ConnectException("refused"))).isTrue();
        assertThat(Transport.retriesAfter(Kind.WRITE, new IOException("reset"))).isFalse();
        assertThat(Transport.retriesAfter(Kind.WRITE, new HttpTimeoutException("timed out"))).isFalse();
        assertThat(Transport.retriesAfter(Kind.INGEST, new IOException("reset"))).isTrue();
        assertThat(Transport.retriesAfter(Kind.IDEMPOTENT, new HttpTimeoutException("timed out"))).isTrue();
        assertThat(Transport.retriesAfter(Kind.INGEST, new IllegalStateException("a bug"))).isFalse();
    }
}
