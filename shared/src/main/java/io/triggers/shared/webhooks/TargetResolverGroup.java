package io.triggers.shared.webhooks;

import io.netty.channel.EventLoop;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.HostsFileEntriesResolver;
import io.netty.resolver.NameResolver;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.triggers.shared.config.DeliveryProperties;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.stream.Collectors;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;
import reactor.netty.transport.NameResolverProvider;

/**
 * Resolves webhook hosts with Netty's non-blocking DNS resolver, on the application's own event
 * loops, and refuses those a webhook must not be sent to ({@link TargetHosts}, {@link TargetAddresses})
 * unless private targets are allowed. The worker hands it to its HTTP client, so the address judged
 * is the one connected to; the api asks it (through {@link #lookUp}) when an endpoint is saved.
 *
 * <p>While private targets are refused:
 * <ul>
 * <li>IP literals are judged too: the resolver claims no address is resolved already, so the HTTP
 *     client brings it every address it is about to connect to;</li>
 * <li>a name is judged by every A and AAAA record it has (any one refused refuses the name), not
 *     only by the records the client would try first;</li>
 * <li>the hosts file is not read: a webhook name means what DNS says it means, the same for the api
 *     and every worker, and {@code localhost} is refused by name.</li>
 * </ul>
 * While they are allowed (development, tests), nothing is refused but non-canonical IPv4 forms, and
 * the hosts file is read, so {@code localhost} works.
 */
public final class TargetResolverGroup extends DnsAddressResolverGroup {

    private static final HostsFileEntriesResolver NO_HOSTS_FILE = (host, types) -> null;

    private final boolean allowPrivate;
    private final EventLoop lookups;

    private TargetResolverGroup(DnsNameResolverBuilder builder, boolean allowPrivate, EventLoop lookups) {
        super(builder);
        this.allowPrivate = allowPrivate;
        this.lookups = lookups;
    }

    /** A resolver group on {@code loops}, configured by {@code triggers.delivery.*}. Close it with the application. */
    public static TargetResolverGroup create(DeliveryProperties delivery, LoopResources loops) {
        boolean allowPrivate = delivery.allowPrivateTargets();
        List<InetSocketAddress> servers = delivery.dnsServerAddresses();
        EventLoop lookups = loops.onClient(LoopResources.DEFAULT_NATIVE).next();
        NameResolverProvider.NameResolverSpec spec = NameResolverProvider.builder()
                .runOn(loops)
                .queryTimeout(delivery.dnsQueryTimeout())
                // Both families are asked for and all records waited for: every address is judged.
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .completeOncePreferredResolved(false)
                .dnsAddressResolverGroupProvider(builder -> new TargetResolverGroup(
                        servers.isEmpty() ? builder : builder.nameServerProvider(new SequentialDnsServerAddressStreamProvider(servers)),
                        allowPrivate, lookups));
        if (!allowPrivate) {
            spec.hostsFileEntriesResolver(NO_HOSTS_FILE);
        }
        return (TargetResolverGroup) spec.build().newNameResolverGroup(loops, LoopResources.DEFAULT_NATIVE);
    }

    /**
     * The addresses {@code host} (as written in a URL) resolves to; fails with {@link RefusedTarget}
     * when it is refused, and with another {@link java.net.UnknownHostException} when it has none.
     */
    public Mono<List<InetAddress>> lookUp(String host) {
        return Mono.create(sink -> {
            AddressResolver<InetSocketAddress> resolver = getResolver(lookups);
            io.netty.util.concurrent.Future<List<InetSocketAddress>> found = resolver.resolveAll(InetSocketAddress.createUnresolved(host, 0));
            found.addListener(done -> {
                if (done.isSuccess()) {
                    sink.success(found.getNow().stream().map(InetSocketAddress::getAddress).collect(Collectors.toList()));
                } else {
                    sink.error(done.cause());
                }
            });
            sink.onCancel(() -> found.cancel(false));
        });
    }

    @Override
    protected AddressResolver<InetSocketAddress> newAddressResolver(EventLoop eventLoop, NameResolver<InetAddress> resolver) {
        return new TargetAddressResolver(eventLoop, resolver, allowPrivate);
    }
}
