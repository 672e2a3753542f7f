package io.triggers.shared;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.shared.webhooks.TargetAddresses;
import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TargetAddressesTest {

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
            "169.254.169.254", "100.64.0.1", "0.0.0.0", "255.255.255.255", "224.0.0.1", "192.0.0.170", "::1", "::",
            "fe80::1", "fd00:ec2::254", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"})
    void internalAddressesAreForbidden(String address) throws Exception {
        assertThat(TargetAddresses.isForbidden(InetAddress.getByName(address))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:2800:220:1::1", "::ffff:8.8.8.8"})
    void publicAddressesAreAllowed(String address) throws Exception {
        assertThat(TargetAddresses.isForbidden(InetAddress.getByName(address))).isFalse();
    }
}
