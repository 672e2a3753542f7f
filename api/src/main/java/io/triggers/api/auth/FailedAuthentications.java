package io.triggers.api.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.triggers.api.keys.AuthProperties;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Failed authentications per client address, so that guessing keys (or the admin token) costs the
 * guesser and not PostgreSQL. An address may fail {@code triggers.auth.failed-per-second} (20)
 * times a second, in bursts of as many; past that it is refused (429) before its credential is
 * looked at, so without a query. While it keeps trying, each refused attempt counts too: an
 * address hammering faster than the limit stays refused, until a second after it slows down.
 *
 * <p>The address is the request's remote address, which is the client's own behind a proxy only
 * when {@code server.forward-headers-strategy} trusts the proxy's headers. IPv6 addresses are
 * counted by their /64, which one client typically holds whole. Counts are kept in memory, per
 * replica, for at most 100 000 addresses (the least recently seen are forgotten first).
 *
 * <p>Failures are counted when they happen, so attempts already under way when the limit is
 * reached still finish: the limit holds from then on, not for that first concurrent wave.
 */
@Component
public final class FailedAuthentications {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();
    private static final int MAX_ADDRESSES = 100_000;

    /** The time of failures the address has been charged up to (GCRA's theoretical arrival time), in nanos. */
    private final Cache<String, AtomicLong> addresses;
    private final long interval;
    private final long burst;
    private final LongSupplier clock;

    @Autowired
    public FailedAuthentications(AuthProperties properties) {
        this(properties.failedPerSecond(), System::nanoTime);
    }

    /** With the test's clock (nanoseconds, like {@link System#nanoTime()}). */
    FailedAuthentications(int perSecond, LongSupplier clock) {
        this.interval = SECOND / perSecond;
        // A full second's failures at once are let through; the next one is refused.
        this.burst = interval * (perSecond - 1);
        this.clock = clock;
        // An address's charge never runs more than two seconds ahead, so it is worthless after three.
        this.addresses = Caffeine.newBuilder()
                .maximumSize(MAX_ADDRESSES)
                .expireAfterAccess(Duration.ofSeconds(3))
                .build();
    }

    /**
     * Seconds the address must wait before its next attempt, 0 when it may try now. A refused
     * attempt is charged too, up to a second past now.
     */
    public long refusedFor(InetSocketAddress remote) {
        AtomicLong charged = addresses.getIfPresent(key(remote));
        if (charged == null) {
            return 0;
        }
        long now = clock.getAsLong();
        long[] wait = new long[1];
        charged.updateAndGet(until -> {
            if (until - now <= burst) {
                wait[0] = 0;
                return until;
            }
            // Compared by difference: nanoTime values may wrap.
            long cap = now + burst + SECOND;
            long extended = until + interval - cap < 0 ? until + interval : cap;
            wait[0] = extended - now - burst;
            return extended;
        });
        return wait[0] == 0 ? 0 : Math.max(1, (wait[0] + SECOND - 1) / SECOND);
    }

    /** Counts a failed authentication from the address. */
    public void failed(InetSocketAddress remote) {
        long now = clock.getAsLong();
        addresses.get(key(remote), ignored -> new AtomicLong(now))
                .updateAndGet(until -> (until - now > 0 ? until : now) + interval);
    }

    /** The address as counted: IPv4 whole, IPv6 by its /64, an unresolved name as it is. */
    static String key(InetSocketAddress remote) {
        if (remote == null) {
            return "unknown";
        }
        InetAddress address = remote.getAddress();
        String host = remote.getHostString();
        if (address == null && host.indexOf(':') >= 0) {
            // An IPv6 literal from a forwarded header (Spring's ForwardedHeaderTransformer leaves those
            // unresolved). In brackets, InetAddress parses it and never asks DNS.
            try {
                address = InetAddress.getByName(host.startsWith("[") ? host : "[" + host + "]");
            } catch (UnknownHostException e) {
                return host;
            }
        }
        if (address == null) {
            return host;
        }
        if (address instanceof Inet6Address) {
            return HexFormat.of().formatHex(address.getAddress(), 0, 8) + "/64";
        }
        return address.getHostAddress();
    }
}
