package io.triggers.testing;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * What BlockHound lets through on non-blocking threads in our tests (it is installed in every test
 * JVM by {@link BlockHoundExtension}; any other blocking call on an event loop or a parallel
 * scheduler thread fails with {@code BlockingOperationError}). Each exception is a short,
 * bounded wait that is not ours to avoid:
 * <ul>
 * <li>writing a log line (Logback's console appender writes synchronously; tests log every request);</li>
 * <li>{@code UUID.randomUUID()}, whose {@code SecureRandom} reads {@code /dev/urandom}, which never blocks once seeded;</li>
 * <li>the one-time seeding of a DRBG {@code SecureRandom} (API keys and endpoint secrets use one,
 *     which then generates in memory);</li>
 * <li>Spring's static resource handler looking up a file in the jar (only the Swagger UI and the
 *     console's files are served that way; nothing on the ingest or delivery path);</li>
 * <li>Lettuce's per-connection write lock, held for the length of a write;</li>
 * <li>Spring Data Redis's locks around its shared reactive connection and the holder of it, held to
 *     read them (the api connects at start-up); contended only when two requests ask for a connection
 *     at the same instant. BlockHound's error thrown inside that lock acquisition left later requests
 *     of the app hanging until their timeout;</li>
 * <li>resilience4j's locks around a circuit breaker's state and its window of recent calls;</li>
 * <li>springdoc's lock around its OpenAPI document, taken on every {@code /v3/api-docs} request; the
 *     document is built at start-up ({@code springdoc.pre-loading-enabled}), so the lock is held only
 *     while a request adapts the built one (its server address), and contended only by two requests
 *     for the document at the same instant (seen when the api tests shared one JVM);</li>
 * <li>Netty's DNS resolver shuffling its query ids with a {@code SecureRandom} (so answers cannot be
 *     forged by guessing the id), which reads {@code /dev/urandom} like {@code UUID.randomUUID()};</li>
 * <li>Netty 4.2's adaptive buffer allocator taking a magazine's short lock when it grows its magazines
 *     under contention (a known false positive: netty's own rules lack it; armeria added the same);</li>
 * <li>Lettuce's Redis Cluster connection provider taking its state lock (Lettuce 7 made it a
 *     {@code ReentrantLock}; it was a {@code synchronized} block, which BlockHound does not see) to
 *     read or fill its cache of node connections per slot, or to set a new node connection's
 *     auto-flush flag: array reads and writes, contended when two threads route commands to a slot
 *     at the same instant (seen after a failover, and on a busy machine in the cluster tests); the
 *     same kind of lock guards its slot table, rebuilt after a topology refresh, and the refresh's
 *     connections.</li>
 * </ul>
 */
public final class BlockingCallsAllowed implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("ch.qos.logback.classic.Logger", "callAppenders");
        builder.allowBlockingCallsInside("java.util.UUID", "randomUUID");
        builder.allowBlockingCallsInside("sun.security.provider.AbstractDrbg", "instantiateIfNecessary");
        builder.allowBlockingCallsInside("org.springframework.web.reactive.resource.PathResourceResolver", "getResource");
        // Lettuce guards each connection's writes with a short lock of its own, taken on its event
        // loop too; an error thrown in the middle of it left the lock held and a later write spinning.
        for (String method : new String[] {"incrementWriters", "decrementWriters", "doExclusive", "lockWritersExclusive",
                "unlockWritersExclusive"}) {
            builder.allowBlockingCallsInside("io.lettuce.core.protocol.SharedLock", method);
        }
        builder.allowBlockingCallsInside("org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory",
                "getOrCreateSharedReactiveConnection");
        builder.allowBlockingCallsInside("org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory$SharedConnection",
                "getConnection");
        // A circuit breaker's state changes and its window of recent calls are guarded by short locks (resilience4j).
        for (String method : new String[] {"tryAcquirePermission", "acquirePermission", "releasePermission", "onResult",
                "onSuccess", "onError"}) {
            builder.allowBlockingCallsInside("io.github.resilience4j.circuitbreaker.internal.CircuitBreakerStateMachine", method);
        }
        builder.allowBlockingCallsInside("io.github.resilience4j.core.metrics.FixedSizeSlidingWindowMetrics", "record");
        builder.allowBlockingCallsInside("io.github.resilience4j.core.metrics.FixedSizeSlidingWindowMetrics", "getSnapshot");
        builder.allowBlockingCallsInside("org.springdoc.api.AbstractOpenApiResource", "getOpenApi");
        builder.allowBlockingCallsInside("io.netty.resolver.dns.DnsQueryIdSpace$DnsQueryIdRange", "pushId");
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "tryExpandMagazines");
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$Magazine", "free");
        // Lettuce 7's PooledClusterConnectionProvider: every method that takes its stateLock (javap of 7.5.2).
        for (String method : new String[] {"lambda$getWriteConnection$1", "lambda$getReadConnection$5", "getReadConnection",
                "resetFastConnectionCache", "setAutoFlushCommands", "setPartitions", "setReadFrom"}) {
            builder.allowBlockingCallsInside("io.lettuce.core.cluster.PooledClusterConnectionProvider", method);
        }
        builder.allowBlockingCallsInside("io.lettuce.core.cluster.PooledClusterConnectionProvider$NodeConnectionPostProcessor", "lambda$apply$4");
        // The same kind of lock in its topology: the slot table rebuilt after a refresh, and the refresh's own connections.
        for (String method : new String[] {"add", "addAll", "remove", "removeAll", "retainAll", "addPartition", "clear", "reload",
                "updateCache"}) {
            builder.allowBlockingCallsInside("io.lettuce.core.cluster.models.partitions.Partitions", method);
        }
        for (String method : new String[] {"doRequest", "isEmpty", "addConnection"}) {
            builder.allowBlockingCallsInside("io.lettuce.core.cluster.topology.Connections", method);
        }
    }
}
