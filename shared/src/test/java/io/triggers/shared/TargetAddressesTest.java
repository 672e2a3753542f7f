package io.triggers.shared;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.NetUtil;
import io.triggers.shared.webhooks.TargetAddresses;
import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The address table: every refused block (its edges where they matter) and public addresses that pass. */
class TargetAddressesTest {

    private static InetAddress address(String literal) throws Exception {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(literal);
        assertThat(bytes).as(literal).isNotNull();
        return InetAddress.getByAddress(bytes);
    }

    @ParameterizedTest(name = "{0} is refused: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            0.0.0.0           | this network
            0.255.255.255     | this network
            10.0.0.1          | private-use
            10.255.255.255    | private-use
            100.64.0.1        | shared (carrier-grade NAT)
            100.127.255.254   | shared (carrier-grade NAT)
            127.0.0.1         | loopback
            127.8.9.10        | loopback
            169.254.169.254   | link-local (cloud metadata)
            172.16.0.1        | private-use
            172.31.255.255    | private-use
            192.0.0.8         | IETF protocol assignments
            192.0.0.170       | IETF protocol assignments
            192.0.2.1         | documentation
            192.88.99.1       | 6to4 relay anycast
            192.168.1.1       | private-use
            198.18.0.1        | benchmarking
            198.19.255.255    | benchmarking
            198.51.100.7      | documentation
            203.0.113.9       | documentation
            224.0.0.1         | multicast
            239.255.255.250   | multicast
            240.0.0.1         | reserved
            254.1.2.3         | reserved
            255.255.255.255   | broadcast
            ::                | unspecified
            ::1               | loopback
            ::ffff:127.0.0.1  | loopback
            ::ffff:10.0.0.1   | private-use
            ::ffff:169.254.169.254 | link-local (cloud metadata)
            ::7f00:1          | IPv4-compatible loopback
            ::a00:1           | IPv4-compatible private-use
            ::c612:1          | IPv4-compatible benchmarking
            64:ff9b::7f00:1   | NAT64 loopback
            64:ff9b::a9fe:a9fe | NAT64 link-local (cloud metadata)
            64:ff9b::c000:201 | NAT64 documentation
            64:ff9b:1::808:808 | NAT64 local-use
            64:ff9b:1:ffff::1 | NAT64 local-use
            100::1            | discard-only
            2001::1           | Teredo
            2001:0:4136:e378:8000:63bf:3fff:fdd2 | Teredo
            2001:2::1         | IETF protocol assignments
            2001:10::1        | IETF protocol assignments
            2001:db8::1       | documentation
            2001:db8:ffff::1  | documentation
            2002:7f00:1::     | 6to4
            2002:808:808::1   | 6to4
            3fff::1           | documentation
            fc00::1           | unique-local
            fd00:ec2::254     | unique-local
            fe80::1           | link-local
            febf::1           | link-local
            fec0::1           | site-local
            ff02::1           | multicast
            ff0e::1           | multicast
            ::2               | IPv4-compatible this network
            4000::1           | not global unicast
            1::1              | not global unicast
            """)
    void refused(String literal, String why) throws Exception {
        assertThat(TargetAddresses.refusal(address(literal))).contains(why);
        assertThat(TargetAddresses.isForbidden(address(literal))).isTrue();
    }

    @ParameterizedTest(name = "{0} is allowed")
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "93.184.216.34", "9.255.255.255", "11.0.0.1", "100.63.255.255",
            "100.128.0.1", "126.255.255.255", "128.0.0.1", "169.253.255.255", "172.15.255.255", "172.32.0.1", "192.0.1.255",
            "192.0.3.1", "192.167.255.255", "198.17.255.255", "198.20.0.1", "223.255.255.255",
            "2606:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001:80b::200e", "2001:200::1", "2620:4f:8000::1",
            "::ffff:8.8.8.8", "::808:808", "64:ff9b::808:808", "64:ff9b::5db8:d822"})
    void allowed(String literal) throws Exception {
        assertThat(TargetAddresses.refusal(address(literal))).isEmpty();
        assertThat(TargetAddresses.isForbidden(address(literal))).isFalse();
    }
}
