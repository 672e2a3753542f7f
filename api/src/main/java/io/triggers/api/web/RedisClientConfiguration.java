package io.triggers.api.web;

import io.lettuce.core.ClientOptions;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.dao.DataAccessException;
import org.springframework.data.redis.RedisConnectionFailureException;
import org.springframework.data.redis.connection.ReactiveRedisClusterConnection;
import org.springframework.data.redis.connection.ReactiveRedisConnection;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * How the api talks to Redis.
 * <ul>
 * <li>While Redis is unreachable, commands fail at once instead of queueing until the connection
 *     comes back: rate limiting and the idempotency fast path fail open immediately, and ingestion
 *     keeps its latency (PostgreSQL is the record; the reconciler queues what was missed).</li>
 * <li>The shared connection is opened at start-up, off the event loops. Spring Data Redis would
 *     otherwise open it on first use, blocking whichever event loop made the first call (for as long
 *     as the connect timeout when Redis is down: found by BlockHound in the tests). Until it is
 *     open, Redis calls fail at once (fail open) and a background task keeps trying every second;
 *     once open, Lettuce reconnects it by itself.</li>
 * <li>Every command goes through one {@link ReactiveRedisConnection} made once, at connect time. The
 *     template asks its factory for a connection per command, and Spring Data Redis's factory takes a
 *     lock for each one to find its shared connection; two requests at the same instant contended for
 *     it on the event loops (BlockHound's error thrown inside that wait once left later requests
 *     hanging). The one connection is wrapped so the template's close after each command does nothing.</li>
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
class RedisClientConfiguration {

    @Bean
    LettuceClientOptionsBuilderCustomizer failWhileDisconnected() {
        return options -> options.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
    }

    @Bean
    RedisConnector redisConnector(LettuceConnectionFactory factory) {
        return new RedisConnector(factory);
    }

    /** The template every Redis call of the api goes through (replaces Boot's, which would connect lazily). */
    @Bean
    ReactiveStringRedisTemplate reactiveStringRedisTemplate(RedisConnector connector) {
        return new ReactiveStringRedisTemplate(new ConnectedFirst(connector));
    }

    /** Opens the shared connection at start-up, and keeps trying in the background if it could not. */
    static final class RedisConnector implements DisposableBean {

        private static final Logger log = LoggerFactory.getLogger(RedisConnector.class);

        private final ReactiveRedisConnectionFactory delegate;
        /** The connection every command uses, once connected; {@code null} before. */
        private volatile ReactiveRedisConnection shared;
        private volatile Disposable retrying;

        RedisConnector(ReactiveRedisConnectionFactory delegate) {
            this.delegate = delegate;
            // Once now, on the starting thread, so a healthy start serves its first request with Redis.
            if (!tryConnect()) {
                log.warn("Redis is unreachable at start-up; the api runs without it (rate limits and the idempotency "
                        + "fast path fail open, events are queued by the reconciler) and keeps trying to connect");
                retrying = Schedulers.boundedElastic().schedulePeriodically(() -> {
                    if (tryConnect()) {
                        log.info("connected to Redis");
                        Disposable self = retrying;
                        if (self != null) {
                            self.dispose();
                        }
                    }
                }, 1, 1, TimeUnit.SECONDS);
            }
        }

        private boolean tryConnect() {
            if (shared != null) {
                return true;
            }
            ReactiveRedisConnection connection = null;
            try {
                connection = delegate.getReactiveConnection();
                connection.ping().block(Duration.ofSeconds(5));
                shared = unclosable(connection);
                return true;
            } catch (RuntimeException e) {
                if (connection != null) {
                    connection.close();
                }
                return false;
            }
        }

        /** The connection to hand out, or an error when there is none yet. */
        ReactiveRedisConnection connection() {
            ReactiveRedisConnection connection = shared;
            if (connection == null) {
                throw new RedisConnectionFailureException("not connected to Redis yet");
            }
            return connection;
        }

        /** {@code connection}, whose {@code close} and {@code closeLater} do nothing (the template calls them after each command). */
        private static ReactiveRedisConnection unclosable(ReactiveRedisConnection connection) {
            InvocationHandler handler = (proxy, method, args) -> switch (method.getName()) {
                case "close" -> null;
                case "closeLater" -> Mono.empty();
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                case "toString" -> "unclosable " + connection;
                default -> {
                    try {
                        yield method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                }
            };
            return (ReactiveRedisConnection) Proxy.newProxyInstance(ReactiveRedisConnection.class.getClassLoader(),
                    new Class<?>[] {ReactiveRedisConnection.class}, handler);
        }

        @Override
        public void destroy() {
            Disposable running = retrying;
            if (running != null) {
                running.dispose();
            }
        }
    }

    /** Hands out the one connection once it is open, failing at once before (see the class comment). */
    private record ConnectedFirst(RedisConnector connector) implements ReactiveRedisConnectionFactory {

        @Override
        public ReactiveRedisConnection getReactiveConnection() {
            return connector.connection();
        }

        @Override
        public ReactiveRedisClusterConnection getReactiveClusterConnection() {
            connector.connection();
            return connector.delegate.getReactiveClusterConnection();
        }

        @Override
        public DataAccessException translateExceptionIfPossible(RuntimeException ex) {
            return connector.delegate.translateExceptionIfPossible(ex);
        }
    }
}
