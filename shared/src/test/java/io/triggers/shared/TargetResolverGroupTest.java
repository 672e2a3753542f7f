package io.triggers.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.resolver.AddressResolver;
import io.netty.util.concurrent.Future;
import io.triggers.shared.config.DeliveryProperties;
import io.triggers.shared.webhooks.RefusedTarget;
import io.triggers.shared.webhooks.TargetResolverGroup;
import io.triggers.testing.TestDnsServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.Exceptions;
import reactor.netty.resources.LoopResources;

/** Names judged by what a DNS server of the test's says, with Netty's resolver on event loops. */
class TargetResolverGroupTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static TestDnsServer dns;
    private static LoopResources loops;
    private static TargetResolverGroup strict;
    private static TargetResolverGroup lenient;

    @BeforeAll
    static void start() {
        dns = TestDnsServer.start()
                .answer("public.test", "93.184.216.34", "2606:4700::1111")
                .answer("private.test", "10.1.2.3")
                .answer("mixed.test", "93.184.216.34", "fd00::1")
                .answer("nat64.test", "64:ff9b::7f00:1")
                .answer("localhost", "93.184.216.34")
                .answer("api.localhost", "93.184.216.34");
        loops = LoopResources.create("dns-test", 1, true);
        strict = TargetResolverGroup.create(delivery(false), loops);
        lenient = TargetResolverGroup.create(delivery(true), loops);
    }

    @AfterAll
    static void stop() {
        strict.close();
        lenient.close();
        loops.disposeLater().block(WAIT);
        dns.close();
    }

    private static DeliveryProperties delivery(boolean allowPrivate) {
        return new DeliveryProperties(Duration.ofSeconds(15), List.of(Duration.ofSeconds(5)), allowPrivate, Duration.ofHours(1), 16,
                Duration.ofDays(5), Duration.ofSeconds(30), List.of(dns.address()), Duration.ofSeconds(2),
                Duration.ofHours(1));
    }

    private static Throwable refusal(TargetResolverGroup group, String host) {
        return Exceptions.unwrap(org.assertj.core.api.Assertions.catchThrowable(() -> group.lookUp(host).block(WAIT)));
    }

    @Test
    void aNameIsJudgedByEveryAddressItHas() {
        assertThat(strict.lookUp("public.test").block(WAIT)).extracting(InetAddress::getHostAddress)
                .containsExactly("93.184.216.34", "2606:4700:0:0:0:0:0:1111");
        assertThat(refusal(strict, "private.test")).isInstanceOf(RefusedTarget.class)
                .hasMessage("refused: private.test resolves to 10.1.2.3, not a public address (private-use)");
        // The A record alone would pass: the AAAA record refuses the name.
        assertThat(refusal(strict, "mixed.test")).isInstanceOf(RefusedTarget.class).hasMessageContaining("(unique-local)");
        assertThat(refusal(strict, "nat64.test")).isInstanceOf(RefusedTarget.class).hasMessageContaining("(NAT64 loopback)");
        // A trailing dot and letter case change nothing.
        assertThat(refusal(strict, "Private.Test.")).isInstanceOf(RefusedTarget.class).hasMessageContaining("(private-use)");
    }

    @Test
    void localhostIsRefusedByNameWithoutAskingAnyone() {
        for (String host : new String[] {"localhost", "localhost.", "LOCALHOST", "api.localhost"}) {
            assertThat(refusal(strict, host)).as(host).isInstanceOf(RefusedTarget.class).hasMessageContaining("loopback name");
        }
        assertThat(dns.wasAsked("localhost")).isFalse();
        assertThat(dns.wasAsked("api.localhost")).isFalse();
    }

    @Test
    void literalsAreJudgedWithoutDns() {
        assertThat(refusal(strict, "127.0.0.1")).isInstanceOf(RefusedTarget.class)
                .hasMessage("refused: 127.0.0.1 is not a public address (loopback)");
        assertThat(refusal(strict, "[::ffff:10.0.0.1]")).isInstanceOf(RefusedTarget.class).hasMessageContaining("(private-use)");
        assertThat(refusal(strict, "[2002:7f00:1::]")).isInstanceOf(RefusedTarget.class).hasMessageContaining("(6to4)");
        assertThat(strict.lookUp("8.8.8.8").block(WAIT)).extracting(InetAddress::getHostAddress).containsExactly("8.8.8.8");
        assertThat(strict.lookUp("8.8.8.8.").block(WAIT)).extracting(InetAddress::getHostAddress).containsExactly("8.8.8.8");
        assertThat(dns.questions()).noneMatch(question -> question.name().startsWith("8.8.8.8") || question.name().startsWith("127."));
    }

    @Test
    void ipv4FormsOtherThanQuadsAreRefusedEvenWhenPrivateTargetsAreAllowed() {
        for (String host : new String[] {"0177.0.0.1", "0x7f.1", "127.1", "2130706433", "010.0.0.1"}) {
            assertThat(refusal(strict, host)).as(host).isInstanceOf(RefusedTarget.class).hasMessageContaining("not a dotted-decimal");
            assertThat(refusal(lenient, host)).as(host).isInstanceOf(RefusedTarget.class).hasMessageContaining("not a dotted-decimal");
        }
    }

    @Test
    void anUnknownNameIsUnknownNotRefused() {
        assertThat(refusal(strict, "nowhere.test")).isInstanceOf(UnknownHostException.class).isNotInstanceOf(RefusedTarget.class);
    }

    @Test
    void whenPrivateTargetsAreAllowedNothingElseIsRefused() {
        assertThat(lenient.lookUp("private.test").block(WAIT)).extracting(InetAddress::getHostAddress).containsExactly("10.1.2.3");
        assertThat(lenient.lookUp("127.0.0.1").block(WAIT)).extracting(InetAddress::getHostAddress).containsExactly("127.0.0.1");
        // The hosts file is read then, so localhost works in development.
        assertThat(lenient.lookUp("localhost").block(WAIT)).allMatch(InetAddress::isLoopbackAddress);
    }

    @Test
    void anAddressAlreadyResolvedIsStillBroughtToTheResolverAndJudged() throws Exception {
        // What an HTTP client does with http://127.0.0.1/: it parses the literal and asks whether it needs resolving.
        InetSocketAddress literal = new InetSocketAddress(InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1}), 8080);
        AddressResolver<InetSocketAddress> resolver = strict.getResolver(loops.onClient(true).next());
        assertThat(resolver.isResolved(literal)).isFalse();
        Future<List<InetSocketAddress>> refused = resolver.resolveAll(literal);
        assertThat(refused.await(WAIT.toMillis())).isTrue();
        assertThat(refused.cause()).isInstanceOf(RefusedTarget.class);
        InetSocketAddress published = new InetSocketAddress(InetAddress.getByAddress(new byte[] {8, 8, 8, 8}), 443);
        Future<List<InetSocketAddress>> allowed = resolver.resolveAll(published);
        assertThat(allowed.await(WAIT.toMillis())).isTrue();
        assertThat(allowed.getNow()).containsExactly(published);
    }
}
