package io.triggers.embedded;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The launcher run.sh uses on a machine without PostgreSQL or Redis: starts the servers asked for,
 * prints one line per server and then {@code ready}, and keeps them running until it is stopped
 * (SIGTERM or Ctrl-C), when it stops them cleanly.
 */
@Command(name = "embedded-servers", mixinStandardHelpOptions = true,
        description = "Runs a PostgreSQL and a Redis from binaries on Maven Central until stopped (for run.sh; not for production).")
public final class EmbeddedServers implements Callable<Integer> {

    @Option(names = "--dir", required = true, description = "Where the servers keep their data (postgres/ and redis/ below it).")
    Path directory;

    @Option(names = "--postgres-port", defaultValue = "0", description = "PostgreSQL's port on 127.0.0.1; 0: no PostgreSQL.")
    int postgresPort;

    @Option(names = "--redis-port", defaultValue = "0", description = "Redis's port on 127.0.0.1; 0: no Redis.")
    int redisPort;

    @Option(names = "--database", defaultValue = "triggers", description = "The database to create in PostgreSQL if missing.")
    String database;

    public static void main(String[] args) {
        // zonky's binary lookup logs at INFO; the launcher prints what matters itself.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.exit(new CommandLine(new EmbeddedServers()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        EmbeddedPostgres postgres = null;
        EmbeddedRedis redis = null;
        CountDownLatch stopped = new CountDownLatch(1);
        System.out.println("starting" + (postgresPort > 0 ? " postgres" : "") + (redisPort > 0 ? " redis" : "") + " in " + directory);
        try {
            if (postgresPort > 0) {
                postgres = EmbeddedPostgres.start(directory.resolve("postgres"), postgresPort, Map.of());
                postgres.createDatabaseIfMissing(database);
                System.out.printf("postgres 127.0.0.1:%d (data in %s%s)%n", postgres.port(), postgres.dataDirectory(),
                        postgres.account().map(account -> ", running as " + account).orElse(""));
            }
            if (redisPort > 0) {
                redis = EmbeddedRedis.start(directory.resolve("redis"), redisPort, true);
                System.out.printf("redis 127.0.0.1:%d (data in %s)%n", redis.port(), redis.directory());
            }
        } catch (RuntimeException e) {
            stopAll(postgres, redis);
            System.err.println("could not start the embedded servers: " + e.getMessage());
            return 1;
        }
        EmbeddedPostgres startedPostgres = postgres;
        EmbeddedRedis startedRedis = redis;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopAll(startedPostgres, startedRedis);
            stopped.countDown();
        }, "stop-embedded-servers"));
        System.out.println("ready");
        System.out.flush();
        stopped.await();
        return 0;
    }

    private static void stopAll(EmbeddedPostgres postgres, EmbeddedRedis redis) {
        if (redis != null) {
            redis.stop();
        }
        if (postgres != null) {
            try {
                postgres.stop();
            } catch (RuntimeException e) {
                System.err.println("could not stop PostgreSQL: " + e.getMessage());
            }
        }
    }
}
