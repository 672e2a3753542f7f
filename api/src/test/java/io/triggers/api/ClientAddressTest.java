package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Failed authentications are counted per client address, the one the request's socket address
 * says: a proxy's {@code X-Forwarded-For} or {@code Forwarded} header counts only when
 * {@code server.forward-headers-strategy} says to trust it ({@code native}: Reactor Netty reads
 * it; {@code framework}: Spring's ForwardedHeaderTransformer does), and is ignored otherwise.
 */
class ClientAddressTest {

    private static final String MALFORMED_KEY = "not-a-key";

    @Test
    void withNativeForwardedHeadersEachForwardedAddressIsCountedOnItsOwn() {
        try (RunningApi api = RunningApi.start(Map.of("server.forward-headers-strategy", "native",
                "triggers.auth.failed-per-second", "3"))) {
            assertCountedPerForwardedAddress(api);
        }
    }

    @Test
    void withFrameworkForwardedHeadersEachForwardedAddressIsCountedOnItsOwn() {
        try (RunningApi api = RunningApi.start(Map.of("server.forward-headers-strategy", "framework",
                "triggers.auth.failed-per-second", "3"))) {
            assertCountedPerForwardedAddress(api);
        }
    }

    @Test
    void withoutTrustInForwardedHeadersTheyAreIgnored() {
        try (RunningApi api = RunningApi.start(Map.of("triggers.auth.failed-per-second", "3"))) {
            block(api, Map.of("X-Forwarded-For", "203.0.113.7"));
            assertThat(status(api, Map.of("X-Forwarded-For", "198.51.100.9"))).as("another forwarded address, same socket").isEqualTo(429);
            assertThat(status(api, Map.of("Forwarded", "for=198.51.100.10"))).isEqualTo(429);
            assertThat(status(api, Map.of())).isEqualTo(429);
        }
    }

    private static void assertCountedPerForwardedAddress(RunningApi api) {
        block(api, Map.of("X-Forwarded-For", "203.0.113.7"));
        assertThat(status(api, Map.of("X-Forwarded-For", "203.0.113.7"))).isEqualTo(429);
        assertThat(status(api, Map.of("X-Forwarded-For", "198.51.100.9"))).as("another forwarded address").isEqualTo(401);
        assertThat(status(api, Map.of("Forwarded", "for=198.51.100.10"))).isEqualTo(401);
        assertThat(status(api, Map.of())).as("the proxy's own address").isEqualTo(401);

        block(api, Map.of("Forwarded", "for=\"[2001:db8:1:2::7]\""));
        assertThat(status(api, Map.of("Forwarded", "for=\"[2001:db8:1:2::8]\""))).as("the same IPv6 /64").isEqualTo(429);
        assertThat(status(api, Map.of("Forwarded", "for=\"[2001:db8:1:3::7]\""))).as("another IPv6 /64").isEqualTo(401);
    }

    /** Fails to authenticate from an address until it is refused. */
    private static void block(RunningApi api, Map<String, String> headers) {
        int status = 401;
        for (int i = 0; i < 50 && status == 401; i++) {
            status = status(api, headers);
        }
        assertThat(status).isEqualTo(429);
    }

    private static int status(RunningApi api, Map<String, String> headers) {
        return RawHttp.send(api.port(), "GET", "/v1/me", MALFORMED_KEY, null, headers).status();
    }
}
