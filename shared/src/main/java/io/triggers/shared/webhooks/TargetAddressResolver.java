package io.triggers.shared.webhooks;

import io.netty.resolver.AbstractAddressResolver;
import io.netty.resolver.NameResolver;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Resolves one webhook host with {@code names} and refuses it by the rules of {@link TargetResolverGroup}. */
final class TargetAddressResolver extends AbstractAddressResolver<InetSocketAddress> {

    private final NameResolver<InetAddress> names;
    private final boolean allowPrivate;

    TargetAddressResolver(EventExecutor executor, NameResolver<InetAddress> names, boolean allowPrivate) {
        super(executor, InetSocketAddress.class);
        this.names = names;
        this.allowPrivate = allowPrivate;
    }

    /** Never: so that an address the HTTP client parsed from an IP literal is brought here and judged too. */
    @Override
    protected boolean doIsResolved(InetSocketAddress address) {
        return false;
    }

    @Override
    protected void doResolve(InetSocketAddress address, Promise<InetSocketAddress> promise) {
        Promise<List<InetSocketAddress>> all = executor().newPromise();
        all.addListener((Future<List<InetSocketAddress>> done) -> {
            if (done.isSuccess()) {
                promise.trySuccess(done.getNow().get(0));
            } else {
                promise.tryFailure(done.cause());
            }
        });
        doResolveAll(address, all);
    }

    @Override
    protected void doResolveAll(InetSocketAddress address, Promise<List<InetSocketAddress>> promise) {
        int port = address.getPort();
        String written = address.getHostString();
        String host = TargetHosts.normalize(written);
        if (TargetHosts.isNonCanonicalIpv4(host)) {
            promise.tryFailure(new RefusedTarget(written, "is not a dotted-decimal IPv4 address"));
            return;
        }
        if (!address.isUnresolved()) {
            judge(written, List.of(address.getAddress()), port, promise);
            return;
        }
        InetAddress literal = TargetHosts.literal(host);
        if (literal != null) {
            judge(written, List.of(literal), port, promise);
            return;
        }
        if (host.indexOf(':') >= 0) {
            promise.tryFailure(new RefusedTarget(written, "is not an IP address"));
            return;
        }
        if (!allowPrivate && TargetHosts.isLocalhost(host)) {
            promise.tryFailure(new RefusedTarget(written, "is a loopback name"));
            return;
        }
        names.resolveAll(host).addListener((Future<List<InetAddress>> done) -> {
            if (done.isSuccess()) {
                judge(written, done.getNow(), port, promise);
            } else {
                promise.tryFailure(done.cause());
            }
        });
    }

    private void judge(String host, List<InetAddress> addresses, int port, Promise<List<InetSocketAddress>> promise) {
        List<InetSocketAddress> permitted = new ArrayList<>(addresses.size());
        for (InetAddress address : addresses) {
            Optional<String> refusal = allowPrivate ? Optional.empty() : TargetAddresses.refusal(address);
            if (refusal.isPresent()) {
                String shown = address.getHostAddress();
                boolean literal = TargetHosts.literal(TargetHosts.normalize(host)) != null;
                promise.tryFailure(new RefusedTarget(host, (literal ? "is" : "resolves to " + shown + ",")
                        + " not a public address (" + refusal.get() + ")"));
                return;
            }
            permitted.add(new InetSocketAddress(address, port));
        }
        if (permitted.isEmpty()) {
            promise.tryFailure(new UnknownHostException(host));
            return;
        }
        promise.trySuccess(permitted);
    }

    @Override
    public void close() {
        names.close();
    }
}
