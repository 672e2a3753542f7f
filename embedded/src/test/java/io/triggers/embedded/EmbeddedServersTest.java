package io.triggers.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded servers are real servers that keep their data: PostgreSQL (as an unprivileged account
 * when the tests run as root, as on CI) and Redis, each stopped and started again on the same
 * directory.
 */
class EmbeddedServersTest {

    @TempDir
    Path temporary;
    /** A directory every account can reach (JUnit's own is private to this process's user). */
    Path directory;

    @BeforeEach
    void reachableDirectory() throws IOException {
        directory = Files.createDirectory(temporary.resolve("servers"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void postgresKeepsItsDataAcrossARestartAndNeverRunsAsRoot() throws Exception {
        int port = freePort();
        EmbeddedPostgres postgres = EmbeddedPostgres.start(directory.resolve("postgres"), port, Map.of("max_connections", "50"));
        try {
            assertThat(postgres.dataDirectory()).isEqualTo(directory.resolve("postgres"));
            assertThat(postgres.createDatabaseIfMissing("kept")).isTrue();
            assertThat(postgres.createDatabaseIfMissing("kept")).isFalse();
            try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl("kept"), "postgres", "");
                    Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE t (v text); INSERT INTO t VALUES ('still here')");
                assertThat(single(statement, "SHOW max_connections")).isEqualTo("50");
            }
            if (RunAs.isRoot()) {
                // PostgreSQL itself refuses root; the point is that it runs as someone else, and owns its data.
                String owner = Files.getOwner(postgres.dataDirectory()).getName();
                assertThat(postgres.account()).isPresent().contains(owner);
                assertThat(owner).isNotEqualTo("root");
                assertThat(serverUser(postgres)).isEqualTo(owner);
            } else {
                assertThat(postgres.account()).isEmpty();
            }

            postgres.crash();
            postgres.restart();
            try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl("kept"), "postgres", "");
                    Statement statement = connection.createStatement()) {
                assertThat(single(statement, "SELECT v FROM t")).isEqualTo("still here");
            }
        } finally {
            postgres.stop();
        }

        EmbeddedPostgres again = EmbeddedPostgres.start(directory.resolve("postgres"), port, Map.of());
        try {
            assertThat(again.createDatabaseIfMissing("kept")).isFalse();
        } finally {
            again.stop();
        }
    }

    @Test
    void dataTheServersAccountCannotReachGoesToVarTmp() throws Exception {
        Path hidden = Files.createDirectory(temporary.resolve("private"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        EmbeddedPostgres postgres = EmbeddedPostgres.start(hidden.resolve("postgres"), freePort(), Map.of());
        try {
            assertThat(postgres.createDatabaseIfMissing("reached")).isTrue();
            if (RunAs.isRoot()) {
                // The unprivileged account cannot pass the private directory.
                assertThat(postgres.dataDirectory()).startsWith(Path.of("/var/tmp/triggers-embedded"));
            } else {
                assertThat(postgres.dataDirectory()).isEqualTo(hidden.resolve("postgres"));
            }
        } finally {
            postgres.stop();
            if (!postgres.dataDirectory().startsWith(temporary)) {
                PostgresBinaries.delete(postgres.dataDirectory().getParent());
            }
        }
    }

    @Test
    void redisKeepsItsDataAcrossARestartWhenPersistent() throws Exception {
        int port = freePort();
        EmbeddedRedis redis = EmbeddedRedis.start(directory.resolve("redis"), port, true);
        try {
            assertThat(command(port, "SET kept yes")).isEqualTo("+OK");
            assertThat(command(port, "XADD s * f v")).startsWith("$");
        } finally {
            redis.stop();
        }
        assertThat(EmbeddedRedis.answers(port)).isFalse();

        EmbeddedRedis again = EmbeddedRedis.start(directory.resolve("redis"), port, true);
        try {
            assertThat(command(port, "GET kept")).isEqualTo("$3\r\nyes");
            assertThat(command(port, "XLEN s")).isEqualTo(":1");
        } finally {
            again.stop();
        }
    }

    private static String serverUser(EmbeddedPostgres postgres) throws Exception {
        // The postmaster's pid is the first line of postmaster.pid; its owner is who it runs as.
        Path pidFile = postgres.dataDirectory().resolve("postmaster.pid");
        String pid = Files.readAllLines(pidFile).get(0).strip();
        return Files.getOwner(Path.of("/proc", pid)).getName();
    }

    private static String single(Statement statement, String sql) throws Exception {
        try (ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }

    /** One inline command to Redis; the reply without its last CRLF. */
    private static String command(int port, String command) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write((command + "\r\nQUIT\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return reply.substring(0, reply.length() - "\r\n+OK\r\n".length()).strip();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
