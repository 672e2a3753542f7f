package io.triggers.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A real PostgreSQL server process from the binaries on the class path ({@link PostgresBinaries}):
 * {@code initdb} on first use of its data directory, then {@code pg_ctl start}. It listens on
 * 127.0.0.1 only (no Unix socket), trusts local connections for the {@code postgres} superuser, and
 * keeps running until {@link #stop()} (pg_ctl daemonizes it, so it outlives a JVM that dies without
 * stopping it; the next start on the same data directory stops such a leftover first).
 *
 * <p>When this process is root, every PostgreSQL command runs as an unprivileged account and the data
 * directory belongs to it ({@link RunAs}). If that account cannot reach the data directory (a
 * checkout under {@code /root}, say), the data goes to {@code /var/tmp/triggers-embedded/<hash>}
 * instead, and {@link #dataDirectory()} says where.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern SETTING_NAME = Pattern.compile("[a-z_.]+");

    private final Path binaries;
    private final RunAs runAs;
    private final Path dataDirectory;
    private final int port;
    private final Map<String, String> settings;

    private EmbeddedPostgres(Path binaries, RunAs runAs, Path dataDirectory, int port, Map<String, String> settings) {
        this.binaries = binaries;
        this.runAs = runAs;
        this.dataDirectory = dataDirectory;
        this.port = port;
        this.settings = settings;
    }

    /**
     * Starts a server on {@code port} whose data lives in {@code dataDirectory} (made with initdb
     * when it holds no database yet), with extra server settings ({@code -c name=value}).
     */
    public static EmbeddedPostgres start(Path dataDirectory, int port, Map<String, String> settings) {
        settings.forEach((name, value) -> {
            if (!SETTING_NAME.matcher(name).matches() || value.contains("'") || value.contains("\\")) {
                throw new IllegalArgumentException("unsupported PostgreSQL setting " + name + "=" + value);
            }
        });
        RunAs runAs = RunAs.forThisProcess();
        Path data = reachableDataDirectory(dataDirectory.toAbsolutePath().normalize(), runAs);
        EmbeddedPostgres server = new EmbeddedPostgres(PostgresBinaries.directory(), runAs, data, port, new LinkedHashMap<>(settings));
        server.initializeIfEmpty();
        server.stopLeftover();
        server.startServer();
        return server;
    }

    private static Path reachableDataDirectory(Path wanted, RunAs runAs) {
        try {
            Files.createDirectories(wanted.getParent());
            if (runAs.canReach(wanted.getParent())) {
                return wanted;
            }
            String hash = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(wanted.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))).substring(0, 12);
            Path fallback = Path.of("/var/tmp/triggers-embedded", hash, "postgres");
            Files.createDirectories(fallback.getParent());
            fallback.getParent().toFile().setExecutable(true, false);
            fallback.getParent().getParent().toFile().setExecutable(true, false);
            return fallback;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + wanted.getParent() + ": " + e.getMessage(), e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The port it listens on (127.0.0.1). */
    public int port() {
        return port;
    }

    /** Where its data is (the directory asked for, unless the server's account could not reach it). */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** The account the server runs as when it is not this process's (this process is root). */
    public Optional<String> account() {
        return runAs.account();
    }

    /** Its log file. */
    public Path logFile() {
        return dataDirectory.resolve("postgres.log");
    }

    /** {@code jdbc:postgresql://127.0.0.1:<port>/<database>} (user {@code postgres}, no password). */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Creates {@code database} unless it exists; returns whether it was created. */
    public boolean createDatabaseIfMissing(String database) {
        if (!SETTING_NAME.matcher(database).matches()) {
            throw new IllegalArgumentException("unsupported database name " + database);
        }
        try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), "postgres", "");
                PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, database);
            try (ResultSet found = exists.executeQuery()) {
                if (found.next()) {
                    return false;
                }
            }
            try (Statement create = connection.createStatement()) {
                create.execute("CREATE DATABASE " + database);
            }
            return true;
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + database + ": " + e.getMessage(), e);
        }
    }

    /** Stops the server (fast: open sessions are ended, everything committed is kept). */
    public void stop() {
        pgCtl("stop", "-m", "fast");
    }

    /** Kills the server the way a crash would (immediate: no checkpoint; it recovers from its WAL when started). */
    public void crash() {
        pgCtl("stop", "-m", "immediate");
    }

    /** Starts it again after {@link #stop()} or {@link #crash()}. */
    public void restart() {
        startServer();
    }

    @Override
    public void close() {
        stop();
    }

    private void initializeIfEmpty() {
        try {
            if (Files.exists(dataDirectory.resolve("PG_VERSION"))) {
                runAs.own(dataDirectory);
                return;
            }
            // No database here: anything else is what an interrupted initdb left.
            PostgresBinaries.delete(dataDirectory);
            Files.createDirectories(dataDirectory);
            runAs.own(dataDirectory);
            Commands.check(runAs.command(List.of(binary("initdb"), "-D", dataDirectory.toString(), "-U", "postgres",
                    "-A", "trust", "-E", "UTF8", "--no-locale")), COMMAND_TIMEOUT);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dataDirectory + ": " + e.getMessage(), e);
        }
    }

    /** A server a dead JVM left running on this data directory would make the start fail. */
    private void stopLeftover() {
        if (Commands.run(runAs.command(List.of(binary("pg_ctl"), "-D", dataDirectory.toString(), "status")), COMMAND_TIMEOUT).succeeded()) {
            stop();
        }
    }

    private void startServer() {
        List<String> options = new ArrayList<>(List.of("-p", Integer.toString(port), "-c", "listen_addresses=127.0.0.1",
                "-c", "unix_socket_directories=''"));
        settings.forEach((name, value) -> options.addAll(List.of("-c", "'" + name + "=" + value + "'")));
        try {
            pgCtl("start", "-l", logFile().toString(), "-o", String.join(" ", options));
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "\nlast lines of " + logFile() + ":\n" + Commands.tail(logFile(), 20), e);
        }
    }

    private void pgCtl(String action, String... arguments) {
        List<String> command = new ArrayList<>(List.of(binary("pg_ctl"), "-D", dataDirectory.toString(), "-w", "-t", "60"));
        command.addAll(List.of(arguments));
        command.add(action);
        Commands.check(runAs.command(command), COMMAND_TIMEOUT);
    }

    private String binary(String name) {
        return binaries.resolve("bin").resolve(name).toString();
    }
}
