package io.triggers.worker.delivery;

import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.InetNameResolver;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import io.triggers.shared.webhooks.TargetAddresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Resolves webhook hosts off the event loop and refuses forbidden addresses (loopback, private,
 * link-local, metadata) at connect time: the address checked is the one connected to, so a host
 * that re-resolves to an internal address after the endpoint was saved (DNS rebinding) is refused.
 */
final class PublicTargetResolver extends AddressResolverGroup<InetSocketAddress> {

    private final Executor lookups;
    private final boolean allowPrivate;

    PublicTargetResolver(Executor lookups, boolean allowPrivate) {
        this.lookups = lookups;
        this.allowPrivate = allowPrivate;
    }

    @Override
    protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
        return new NameResolver(executor).asAddressResolver();
    }

    /** Thrown for a host that resolves to a forbidden address. */
    static final class ForbiddenTarget extends UnknownHostException {

        ForbiddenTarget(String host) {
            super("refused: " + host + " resolves to a private, loopback or link-local address");
        }
    }

    private final class NameResolver extends InetNameResolver {

        NameResolver(EventExecutor executor) {
            super(executor);
        }

        @Override
        protected void doResolve(String host, Promise<InetAddress> promise) {
            lookups.execute(() -> {
                try {
                    promise.trySuccess(permitted(host, InetAddress.getAllByName(host)).get(0));
                } catch (Exception e) {
                    promise.tryFailure(e);
                }
            });
        }

        @Override
        protected void doResolveAll(String host, Promise<List<InetAddress>> promise) {
            lookups.execute(() -> {
                try {
                    promise.trySuccess(permitted(host, InetAddress.getAllByName(host)));
                } catch (Exception e) {
                    promise.tryFailure(e);
                }
            });
        }

        private List<InetAddress> permitted(String host, InetAddress[] addresses) throws ForbiddenTarget {
            if (!allowPrivate && Arrays.stream(addresses).anyMatch(TargetAddresses::isForbidden)) {
                throw new ForbiddenTarget(host);
            }
            return List.of(addresses);
        }
    }
}
