package io.triggers.shared;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.shared.webhooks.TargetHosts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** How a URL's host is read: the IPv4 forms refused, the trailing dot, localhost. */
class TargetHostsTest {

    @ParameterizedTest(name = "{0} is not a dotted-decimal quad")
    @ValueSource(strings = {"0177.0.0.1", "0x7f.1", "0x7f.0.0.1", "0x7f000001", "127.1", "127.0.1", "2130706433", "017700000001",
            "127.000.0.1", "010.0.0.1", "8.8.8.010", "08.8.8.8", "256.0.0.1", "1.2.3.4.5", "example.123", "a.b.0x10", "0x"})
    void numericHostsThatAreNotQuadsAreRefused(String host) {
        assertThat(TargetHosts.isNonCanonicalIpv4(TargetHosts.normalize(host))).isTrue();
        assertThat(TargetHosts.literal(TargetHosts.normalize(host))).isNull();
    }

    @ParameterizedTest(name = "{0} is read as {1}")
    @CsvSource({"127.0.0.1,/127.0.0.1", "8.8.8.8.,/8.8.8.8", "0.0.0.0,/0.0.0.0", "255.255.255.255,/255.255.255.255",
            "[::1],/0:0:0:0:0:0:0:1", "[2606:4700::1111],/2606:4700:0:0:0:0:0:1111", "[::ffff:127.0.0.1],/127.0.0.1"})
    void literalsAreRead(String host, String address) {
        String normalized = TargetHosts.normalize(host);
        assertThat(TargetHosts.isNonCanonicalIpv4(normalized)).isFalse();
        assertThat(TargetHosts.literal(normalized)).hasToString(address);
    }

    @ParameterizedTest(name = "{0} is a name")
    @ValueSource(strings = {"example.com", "example.com.", "hooks.rebind.test", "1e3", "0x.example", "123.example", "a-1.b-2"})
    void namesAreNames(String host) {
        String normalized = TargetHosts.normalize(host);
        assertThat(TargetHosts.isNonCanonicalIpv4(normalized)).isFalse();
        assertThat(TargetHosts.literal(normalized)).isNull();
    }

    @Test
    void aTrailingDotAndLetterCaseMakeNoDifference() {
        assertThat(TargetHosts.normalize("Example.COM.")).isEqualTo("example.com");
        assertThat(TargetHosts.normalize("localhost.")).isEqualTo("localhost");
        for (String host : new String[] {"localhost", "localhost.", "LOCALHOST", "LocalHost.", "api.localhost", "a.b.localhost."}) {
            assertThat(TargetHosts.isLocalhost(TargetHosts.normalize(host))).as(host).isTrue();
        }
        for (String host : new String[] {"localhost.example.com", "notlocalhost", "localhostx"}) {
            assertThat(TargetHosts.isLocalhost(TargetHosts.normalize(host))).as(host).isFalse();
        }
    }
}
