package io.triggers.testing;

import com.redis.testcontainers.RedisContainer;
import io.triggers.embedded.EmbeddedPostgres;
import io.triggers.embedded.EmbeddedRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The real PostgreSQL and Redis that tests run against, found in this order:
 * <ol>
 * <li>{@code TRIGGERS_TEST_SERVERS=embedded}: embedded servers (below), whatever else there is;</li>
 * <li>the servers at {@code TRIGGERS_TEST_POSTGRES_URL} and {@code TRIGGERS_TEST_REDIS_URL} when
 *     either is set (an unset one defaults to {@code localhost:5432}, user {@code postgres}, or
 *     {@code localhost:6379}); one that does not answer fails the tests, it is never replaced;</li>
 * <li>Testcontainers, where a Docker engine answers;</li>
 * <li>the servers at {@code localhost:5432} and {@code localhost:6379}, when both answer;</li>
 * <li>else embedded servers: a PostgreSQL and a Redis from binaries on Maven Central
 *     ({@link EmbeddedPostgres}, {@link EmbeddedRedis}), started once per test JVM on free ports
 *     with their files in a temporary directory, stopped when the JVM exits. So
 *     {@code ./mvnw verify} needs nothing but Java.</li>
 * </ol>
 *
 * <p>Each test gets its own freshly created database ({@link #newDatabase()}) and Redis key prefix
 * ({@link #newRedisPrefix()}), dropped when the JVM exits, so a developer's running instance is
 * never touched. When a server cannot be reached the test fails with a message saying how to
 * provide one; it is never skipped.
 */
public final class TestServers {

    private static final Logger log = LoggerFactory.getLogger(TestServers.class);

    /** The apps' TRIGGERS_ENCRYPTION_KEYS in tests: one key, made for this JVM. */
    public static final String ENCRYPTION_KEYS = "test:" + newEncryptionKey();
    private static TestServers instance;

    private final String pgHost;
    private final int pgPort;
    private final String pgUser;
    private final String pgPassword;
    private final String redisHost;
    private final int redisPort;
    private final List<String> databases = new ArrayList<>();
    /** Whether this JVM started the servers (embedded), rather than finding them. */
    private boolean embedded;
    private final List<String> redisPrefixes = new ArrayList<>();

    private TestServers(String pgHost, int pgPort, String pgUser, String pgPassword, String redisHost, int redisPort) {
        this.pgHost = pgHost;
        this.pgPort = pgPort;
        this.pgUser = pgUser;
        this.pgPassword = pgPassword;
        this.redisHost = redisHost;
        this.redisPort = redisPort;
    }

    /** A new random 32-byte encryption key, base64 (for TRIGGERS_ENCRYPTION_KEYS entries). */
    public static String newEncryptionKey() {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        return java.util.Base64.getEncoder().encodeToString(key);
    }

    /** The servers for this JVM, started or located on first use. */
    public static synchronized TestServers get() {
        if (instance == null) {
            instance = locate();
            if (!instance.embedded) {
                // Embedded servers are thrown away whole when the JVM exits.
                Runtime.getRuntime().addShutdownHook(new Thread(instance::cleanUp, "test-servers-cleanup"));
            }
        }
        return instance;
    }

    private static TestServers locate() {
        String mode = System.getenv().getOrDefault("TRIGGERS_TEST_SERVERS", "auto");
        String pgSetting = System.getenv("TRIGGERS_TEST_POSTGRES_URL");
        String redisSetting = System.getenv("TRIGGERS_TEST_REDIS_URL");
        TestServers servers;
        if ("embedded".equals(mode)) {
            servers = startEmbedded();
        } else if (!"auto".equals(mode)) {
            throw new IllegalStateException("TRIGGERS_TEST_SERVERS is '" + mode + "'; it takes auto (the default) or embedded");
        } else if (pgSetting != null || redisSetting != null) {
            servers = at(uri(pgSetting == null ? "localhost:5432" : pgSetting, "postgresql"),
                    uri(redisSetting == null ? "localhost:6379" : redisSetting, "redis"));
            log.info("TRIGGERS_TEST_*_URL set: using PostgreSQL at {}:{} and Redis at {}:{}",
                    servers.pgHost, servers.pgPort, servers.redisHost, servers.redisPort);
        } else if (dockerAvailable()) {
            servers = startContainers();
        } else {
            servers = at(uri("localhost:5432", "postgresql"), uri("localhost:6379", "redis"));
            if (servers.reachable()) {
                log.info("No Docker engine: using PostgreSQL at localhost:5432 and Redis at localhost:6379");
            } else {
                servers = startEmbedded();
            }
        }
        servers.checkReachable();
        return servers;
    }

    private static TestServers at(URI pg, URI redis) {
        String user = "postgres";
        String password = "";
        if (pg.getUserInfo() != null) {
            String[] parts = pg.getUserInfo().split(":", 2);
            user = parts[0];
            password = parts.length > 1 ? parts[1] : "";
        }
        return new TestServers(pg.getHost(), port(pg, 5432), user, password, redis.getHost(), port(redis, 6379));
    }

    /** Embedded servers for this JVM (see the class comment); they keep nothing worth keeping, so fsync is off. */
    private static TestServers startEmbedded() {
        try {
            // Readable by all: as root, PostgreSQL runs as an unprivileged account that must reach its data directory.
            Path directory = Files.createTempDirectory("triggers-test-servers-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            long started = System.nanoTime();
            EmbeddedPostgres postgres = EmbeddedPostgres.start(directory.resolve("postgres"), freePort(),
                    Map.of("fsync", "off", "max_connections", "200"));
            EmbeddedRedis redis;
            try {
                redis = EmbeddedRedis.start(directory.resolve("redis"), freePort(), false);
            } catch (RuntimeException e) {
                postgres.stop();
                throw e;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                redis.stop();
                postgres.stop();
                deleteQuietly(directory);
            }, "test-servers-stop"));
            log.info("Started embedded PostgreSQL on port {} and Redis on port {} in {} ms (files in {})", postgres.port(),
                    redis.port(), (System.nanoTime() - started) / 1_000_000, directory);
            TestServers servers = new TestServers("127.0.0.1", postgres.port(), "postgres", "", "127.0.0.1", redis.port());
            servers.embedded = true;
            return servers;
        } catch (IOException e) {
            throw new UncheckedIOException("could not make a directory for the embedded test servers", e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void deleteQuietly(Path directory) {
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // A temporary directory; the next boot clears it.
        }
    }

    /** Whether both servers answer (PostgreSQL accepts a connection, Redis a PING). */
    private boolean reachable() {
        try (Connection ignored = adminConnection()) {
            // reachable
        } catch (SQLException e) {
            return false;
        }
        return pingRedis() == null;
    }

    /** Null when Redis answers PING, else the error. */
    private RuntimeException pingRedis() {
        RedisClient client = RedisClient.create(redisUri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().ping();
            return null;
        } catch (RuntimeException e) {
            return e;
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    @SuppressWarnings("resource") // the containers live as long as the JVM; Ryuk removes them
    private static TestServers startContainers() {
        PostgreSQLContainer postgres = new PostgreSQLContainer(DockerImageName.parse("postgres:15-alpine"));
        RedisContainer redis = new RedisContainer(DockerImageName.parse("redis:7-alpine"));
        postgres.start();
        redis.start();
        log.info("Started PostgreSQL and Redis containers");
        return new TestServers(postgres.getHost(), postgres.getMappedPort(5432), postgres.getUsername(),
                postgres.getPassword(), redis.getHost(), redis.getMappedPort(6379));
    }

    private static URI uri(String setting, String scheme) {
        return URI.create(setting.contains("://") ? setting : scheme + "://" + setting);
    }

    private static int port(URI uri, int fallback) {
        return uri.getPort() == -1 ? fallback : uri.getPort();
    }

    private void checkReachable() {
        try (Connection ignored = adminConnection()) {
            // reachable
        } catch (SQLException e) {
            throw new IllegalStateException("""
                    Tests need a real PostgreSQL and none answered at %s:%d (%s).
                    Start Docker (Testcontainers then starts one), or run PostgreSQL locally, or set
                    TRIGGERS_TEST_POSTGRES_URL=postgresql://user:password@host:port to a server where that user may
                    create databases, or unset it (and TRIGGERS_TEST_REDIS_URL) to let the tests start an embedded
                    one.""".formatted(pgHost, pgPort, e.getMessage()), e);
        }
        RuntimeException redisError = pingRedis();
        if (redisError != null) {
            throw new IllegalStateException("""
                    Tests need a real Redis and none answered at %s:%d (%s).
                    Start Docker (Testcontainers then starts one), or run redis-server locally, or set
                    TRIGGERS_TEST_REDIS_URL=redis://host:port, or unset it (and TRIGGERS_TEST_POSTGRES_URL) to
                    let the tests start an embedded one.""".formatted(redisHost, redisPort, redisError.getMessage()), redisError);
        }
    }

    /** Creates an empty database for one test class and returns how to reach it. */
    public synchronized TestDatabase newDatabase() {
        String name = "triggers_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection connection = adminConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create test database " + name, e);
        }
        databases.add(name);
        return new TestDatabase(name, pgHost, pgPort, pgUser, pgPassword);
    }

    /** A Redis key prefix no other test uses; its keys are deleted when the JVM exits. */
    public synchronized String newRedisPrefix() {
        String prefix = "triggers-test-" + UUID.randomUUID().toString().substring(0, 8).toLowerCase(Locale.ROOT);
        redisPrefixes.add(prefix);
        return prefix;
    }

    /** {@code redis://host:port} of the test Redis. */
    public String redisUrl() {
        return "redis://" + redisHost + ":" + redisPort;
    }

    /** The Lettuce URI of the test Redis. */
    public RedisURI redisUri() {
        return RedisURI.create(redisHost, redisPort);
    }

    /**
     * The Spring properties that point an app at one test database and Redis prefix.
     */
    public Map<String, String> appProperties(TestDatabase database, String redisPrefix) {
        Map<String, String> properties = new HashMap<>();
        properties.put("spring.r2dbc.url", database.r2dbcUrl());
        properties.put("spring.r2dbc.username", pgUser);
        properties.put("spring.r2dbc.password", pgPassword);
        properties.put("spring.flyway.url", database.jdbcUrl());
        properties.put("spring.flyway.user", pgUser);
        properties.put("spring.flyway.password", pgPassword);
        properties.put("spring.data.redis.url", redisUrl());
        properties.put("triggers.redis.key-prefix", redisPrefix);
        properties.put("triggers.encryption-keys", ENCRYPTION_KEYS);
        return properties;
    }

    private Connection adminConnection() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://" + pgHost + ":" + pgPort + "/postgres", pgUser, pgPassword);
    }

    private synchronized void cleanUp() {
        try (Connection connection = adminConnection(); Statement statement = connection.createStatement()) {
            for (String name : databases) {
                statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        } catch (SQLException e) {
            log.warn("could not drop test databases {}: {}", databases, e.getMessage());
        }
        if (redisPrefixes.isEmpty()) {
            return;
        }
        RedisClient client = RedisClient.create(redisUri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            for (String prefix : redisPrefixes) {
                ScanIterator<String> keys = ScanIterator.scan(connection.sync(), ScanArgs.Builder.matches(prefix + ":*").limit(500));
                while (keys.hasNext()) {
                    connection.sync().unlink(keys.next());
                }
            }
        } catch (RuntimeException e) {
            log.warn("could not delete test Redis keys: {}", e.getMessage());
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
