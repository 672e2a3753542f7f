package io.triggers.worker.queue;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.reactive.RedisClusterReactiveCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.boot.data.redis.autoconfigure.DataRedisProperties;

/**
 * The worker's own Lettuce connections to Redis, standalone or Redis Cluster (when
 * {@code spring.data.redis.cluster.nodes} is set), built from the same {@code spring.data.redis.*}
 * settings as Spring's connection factory: one connection for commands (in a cluster, Lettuce
 * sends each to the node of its key's slot) and one for the wake-up channel. While Redis is
 * unreachable commands fail at once instead of queueing; the callers retry.
 */
public final class RedisConnections implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisConnections.class);
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);

    private final AutoCloseable client;
    private final Runnable shutdown;
    private final RedisClusterCommands<String, String> sync;
    private final RedisClusterReactiveCommands<String, String> reactive;
    private final StatefulRedisPubSubConnection<String, String> pubSub;
    private final AutoCloseable commands;
    private final boolean cluster;

    public RedisConnections(DataRedisConnectionDetails details, DataRedisProperties redis, ClientResources resources,
                            Duration startupWait) {
        Duration timeout = redis.getTimeout() != null ? redis.getTimeout() : DEFAULT_TIMEOUT;
        SocketOptions socket = SocketOptions.builder()
                .connectTimeout(redis.getConnectTimeout() != null ? redis.getConnectTimeout() : DEFAULT_CONNECT_TIMEOUT)
                .keepAlive(true)
                .build();
        if (details.getCluster() != null && !details.getCluster().getNodes().isEmpty()) {
            cluster = true;
            List<RedisURI> nodes = details.getCluster().getNodes().stream()
                    .map(node -> uri(details, node.host(), node.port(), 0, timeout))
                    .toList();
            RedisClusterClient clusterClient = RedisClusterClient.create(resources, nodes);
            clusterClient.setOptions(ClusterClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(timeout))
                    .socketOptions(socket)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .enablePeriodicRefresh(Duration.ofSeconds(30))
                            .build())
                    .build());
            StatefulRedisClusterConnection<String, String> connection = connect(() -> clusterClient.connect(StringCodec.UTF8), startupWait);
            client = clusterClient::close;
            shutdown = clusterClient::shutdown;
            commands = connection;
            sync = connection.sync();
            reactive = connection.reactive();
            pubSub = connect(() -> clusterClient.connectPubSub(StringCodec.UTF8), startupWait);
        } else {
            cluster = false;
            DataRedisConnectionDetails.Standalone standalone = details.getStandalone();
            RedisClient standaloneClient = RedisClient.create(resources,
                    uri(details, standalone.getHost(), standalone.getPort(), standalone.getDatabase(), timeout));
            standaloneClient.setOptions(ClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(timeout))
                    .socketOptions(socket)
                    .build());
            StatefulRedisConnection<String, String> connection = connect(() -> standaloneClient.connect(StringCodec.UTF8), startupWait);
            client = standaloneClient::close;
            shutdown = standaloneClient::shutdown;
            commands = connection;
            sync = connection.sync();
            reactive = connection.reactive();
            pubSub = connect(() -> standaloneClient.connectPubSub(StringCodec.UTF8), startupWait);
        }
    }

    private static RedisURI uri(DataRedisConnectionDetails details, String host, int port, int database, Duration timeout) {
        RedisURI.Builder uri = RedisURI.builder()
                .withHost(host)
                .withPort(port)
                .withDatabase(database)
                .withSsl(details.getSslBundle() != null)
                .withTimeout(timeout);
        if (details.getPassword() != null) {
            if (details.getUsername() != null) {
                uri.withAuthentication(details.getUsername(), details.getPassword());
            } else {
                uri.withPassword(details.getPassword().toCharArray());
            }
        }
        return uri.build();
    }

    /** Connects, trying again every second for up to {@code startupWait} while Redis is unreachable (blocking: start-up only). */
    private static <C> C connect(Supplier<C> connector, Duration startupWait) {
        long giveUpAt = System.nanoTime() + startupWait.toNanos();
        while (true) {
            try {
                return connector.get();
            } catch (RedisConnectionException e) {
                if (System.nanoTime() > giveUpAt) {
                    throw e;
                }
                log.warn("Redis is unreachable ({}); trying again", e.getMessage());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Blocking commands: only for the dispatcher's own thread and start-up. */
    public RedisClusterCommands<String, String> sync() {
        return sync;
    }

    public RedisClusterReactiveCommands<String, String> reactive() {
        return reactive;
    }

    /** The connection the wake-up channel is subscribed on. */
    public StatefulRedisPubSubConnection<String, String> pubSub() {
        return pubSub;
    }

    public boolean cluster() {
        return cluster;
    }

    @Override
    public void close() {
        for (AutoCloseable closeable : new AutoCloseable[] {pubSub, commands, client}) {
            try {
                closeable.close();
            } catch (Exception e) {
                log.debug("closing a Redis connection: {}", e.toString());
            }
        }
        shutdown.run();
    }
}
