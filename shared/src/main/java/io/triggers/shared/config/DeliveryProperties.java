package io.triggers.shared.config;

import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.delivery.*}: how webhooks are delivered. The api reads it too, to validate
 * endpoint URLs the same way the worker will call them.
 *
 * @param timeout                connect plus response timeout of one attempt ({@code TRIGGERS_DELIVERY_TIMEOUT})
 * @param retrySchedule          the wait before each retry ({@code TRIGGERS_DELIVERY_RETRY_SCHEDULE}); ±20 % jitter
 * @param allowPrivateTargets    let endpoints point at loopback and private addresses (development and tests only)
 * @param maxRetryAfter          the longest {@code Retry-After} of a 429 or 503 that is honoured
 * @param maxInFlightPerEndpoint the default of an endpoint's {@code max_in_flight}: deliveries to it at once, per worker
 * @param disableAfterFailing    an endpoint failing without a success for this long is disabled
 * @param circuitOpenFor         how long an endpoint's circuit stays open before trial calls
 * @param dnsServers             the DNS servers webhook hosts are looked up on, {@code host:port} (port 53 when left
 *                               out), tried in order ({@code TRIGGERS_DELIVERY_DNS_SERVERS}); empty: the system's
 * @param dnsQueryTimeout        how long one DNS query may take before the next server is asked
 * @param endpointStateIdle      a worker drops what it keeps per endpoint (circuit breaker, in-flight slots,
 *                               connection pool) once the endpoint has been idle this long
 */
@ConfigurationProperties("triggers.delivery")
public record DeliveryProperties(
        @DefaultValue("15s") Duration timeout,
        @DefaultValue({"5s", "30s", "2m", "10m", "30m", "1h", "3h", "6h"}) List<Duration> retrySchedule,
        @DefaultValue("false") boolean allowPrivateTargets,
        @DefaultValue("1h") Duration maxRetryAfter,
        @DefaultValue("16") int maxInFlightPerEndpoint,
        @DefaultValue("5d") Duration disableAfterFailing,
        @DefaultValue("30s") Duration circuitOpenFor,
        @DefaultValue List<String> dnsServers,
        @DefaultValue("5s") Duration dnsQueryTimeout,
        @DefaultValue("1h") Duration endpointStateIdle) {

    public DeliveryProperties {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("triggers.delivery.timeout must be positive");
        }
        retrySchedule = List.copyOf(retrySchedule);
        if (retrySchedule.isEmpty() || retrySchedule.stream().anyMatch(step -> step.isNegative() || step.isZero())) {
            throw new IllegalArgumentException("triggers.delivery.retry-schedule needs at least one positive duration");
        }
        if (maxInFlightPerEndpoint < 1) {
            throw new IllegalArgumentException("triggers.delivery.max-in-flight-per-endpoint must be at least 1");
        }
        dnsServers = dnsServers == null ? List.of() : List.copyOf(dnsServers);
        dnsServers.forEach(DeliveryProperties::dnsServer);
        if (dnsQueryTimeout.isNegative() || dnsQueryTimeout.isZero()) {
            throw new IllegalArgumentException("triggers.delivery.dns-query-timeout must be positive");
        }
        if (endpointStateIdle.isNegative() || endpointStateIdle.isZero()) {
            throw new IllegalArgumentException("triggers.delivery.endpoint-state-idle must be positive");
        }
    }

    /** {@link #dnsServers} as socket addresses (empty: use the system's). */
    public List<InetSocketAddress> dnsServerAddresses() {
        return dnsServers.stream().map(DeliveryProperties::dnsServer).toList();
    }

    // An IP address (IPv6 in brackets when a port follows) and an optional port: a server given by
    // name would need DNS to be found.
    private static InetSocketAddress dnsServer(String server) {
        String text = server.trim();
        String host = text;
        int port = 53;
        int colon = text.lastIndexOf(':');
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            host = close < 0 ? "" : text.substring(1, close);
            if (close > 0 && close + 1 < text.length()) {
                port = text.charAt(close + 1) == ':' ? parsePort(text.substring(close + 2)) : -1;
            }
        } else if (colon > 0 && text.indexOf(':') == colon) {
            host = text.substring(0, colon);
            port = parsePort(text.substring(colon + 1));
        }
        byte[] address = NetUtil.createByteArrayFromIpAddressString(host);
        if (address == null || port < 1 || port > 65535) {
            throw new IllegalArgumentException("triggers.delivery.dns-servers: \"" + server
                    + "\" is not an IP address with an optional port (1.1.1.1, 10.0.0.2:53, [2606:4700:4700::1111]:53)");
        }
        return new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(host), port);
    }

    private static int parsePort(String port) {
        try {
            return Integer.parseInt(port);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
