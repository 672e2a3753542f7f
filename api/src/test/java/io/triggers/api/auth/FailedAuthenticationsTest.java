package io.triggers.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link FailedAuthentications} on a clock the test moves. */
class FailedAuthenticationsTest {

    private static final long MS = Duration.ofMillis(1).toNanos();

    private final AtomicLong now = new AtomicLong(123_456_789_000L);
    private final FailedAuthentications failures = new FailedAuthentications(20, now::get);
    private final InetSocketAddress client = new InetSocketAddress("203.0.113.7", 40000);

    @Test
    void aSecondsWorthOfFailuresAtOnceIsLetThroughAndTheNextAttemptIsRefused() {
        for (int i = 0; i < 20; i++) {
            assertThat(failures.refusedFor(client)).as("attempt " + (i + 1)).isZero();
            failures.failed(client);
        }
        assertThat(failures.refusedFor(client)).isEqualTo(1);
    }

    @Test
    void failingAtTheAllowedRateIsNeverRefused() {
        for (int i = 0; i < 200; i++) {
            assertThat(failures.refusedFor(client)).isZero();
            failures.failed(client);
            now.addAndGet(50 * MS);
        }
    }

    @Test
    void anAddressThatKeepsTryingStaysRefused() {
        long last = hammer();
        now.set(last + 990 * MS);
        assertThat(failures.refusedFor(client)).isPositive();
    }

    @Test
    void anAddressIsServedAgainASecondAfterItStopsTrying() {
        long last = hammer();
        now.set(last + 1001 * MS);
        assertThat(failures.refusedFor(client)).isZero();
    }

    /** Reaches the limit, then tries every 10 ms for 5 s: more often than the limit allows, so never served. */
    private long hammer() {
        for (int i = 0; i < 20; i++) {
            failures.failed(client);
        }
        long last = now.get();
        for (int i = 0; i < 500; i++) {
            last = now.get();
            assertThat(failures.refusedFor(client)).as("attempt after " + i * 10 + " ms").isBetween(1L, 2L);
            now.addAndGet(10 * MS);
        }
        return last;
    }

    @Test
    void addressesAreCountedApartAndIpv6ByItsSlash64() {
        for (int i = 0; i < 20; i++) {
            failures.failed(client);
        }
        assertThat(failures.refusedFor(client)).isPositive();
        assertThat(failures.refusedFor(new InetSocketAddress("203.0.113.8", 40000))).isZero();
        assertThat(failures.refusedFor(new InetSocketAddress("203.0.113.7", 50000))).as("another port, same address").isPositive();

        for (int i = 0; i < 20; i++) {
            failures.failed(new InetSocketAddress("2001:db8:1:2::1", 1));
        }
        assertThat(failures.refusedFor(new InetSocketAddress("2001:db8:1:2:ffff:ffff:ffff:ffff", 1))).isPositive();
        assertThat(failures.refusedFor(new InetSocketAddress("2001:db8:1:3::1", 1))).isZero();

        // As Spring's ForwardedHeaderTransformer hands forwarded addresses over: unresolved.
        assertThat(failures.refusedFor(InetSocketAddress.createUnresolved("[2001:db8:1:2::9]", 0))).isPositive();
        assertThat(failures.refusedFor(InetSocketAddress.createUnresolved("203.0.113.7", 0))).isPositive();
        assertThat(failures.refusedFor(InetSocketAddress.createUnresolved("[2001:db8:1:3::9]", 0))).isZero();
    }

    @Test
    void aClockThatWrapsAroundChangesNothing() {
        // System.nanoTime() may pass Long.MAX_VALUE and go on from Long.MIN_VALUE: here, while refused.
        now.set(Long.MAX_VALUE - 300 * MS);
        long last = hammer();
        now.set(last + 1001 * MS);
        assertThat(failures.refusedFor(client)).isZero();
    }

    @Test
    void aSuccessfulCallerIsNeverCounted() {
        for (int i = 0; i < 1000; i++) {
            assertThat(failures.refusedFor(client)).isZero();
        }
    }
}
