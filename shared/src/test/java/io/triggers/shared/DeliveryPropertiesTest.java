package io.triggers.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.triggers.shared.config.DeliveryProperties;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code triggers.delivery.dns-servers}: IP addresses with an optional port, nothing that would itself need DNS. */
class DeliveryPropertiesTest {

    private static DeliveryProperties withDnsServers(String... servers) {
        return new DeliveryProperties(Duration.ofSeconds(15), List.of(Duration.ofSeconds(5)), false, Duration.ofHours(1), 16,
                Duration.ofDays(5), Duration.ofSeconds(30), List.of(servers), Duration.ofSeconds(5),
                Duration.ofHours(1));
    }

    @ParameterizedTest(name = "{0} is {1}:{2}")
    @CsvSource({"1.1.1.1,1.1.1.1,53", "127.0.0.1:5353,127.0.0.1,5353", "[::1]:5300,0:0:0:0:0:0:0:1,5300",
            "2606:4700:4700::1111,2606:4700:4700:0:0:0:0:1111,53", "[2606:4700:4700::1111],2606:4700:4700:0:0:0:0:1111,53"})
    void serversAreAddressesAndPorts(String server, String address, int port) {
        InetSocketAddress parsed = withDnsServers(server).dnsServerAddresses().get(0);
        assertThat(parsed.getAddress().getHostAddress()).isEqualTo(address);
        assertThat(parsed.getPort()).isEqualTo(port);
    }

    @ParameterizedTest(name = "{0} is refused")
    @ValueSource(strings = {"dns.google", "dns.google:53", "1.1.1.1:0", "1.1.1.1:70000", "1.1.1.1:x", "[::1]x", "[::1", "0177.0.0.1"})
    void anythingElseIsRefusedAtStart(String server) {
        assertThatThrownBy(() -> withDnsServers(server)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dns-servers");
    }
}
