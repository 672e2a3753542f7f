package io.triggers.testing;

import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Redis Cluster for tests: three masters and three replicas, started from the installed
 * {@code redis-server} on spare loopback ports and joined with {@code redis-cli --cluster create}.
 * One per test JVM ({@link #get()}), stopped (and its files removed) when the JVM exits; tests
 * share it by using their own key prefixes. Nodes can be killed and restarted to test failover.
 *
 * <p>Needs {@code redis-server} and {@code redis-cli} on the PATH (or {@code TRIGGERS_TEST_REDIS_SERVER}
 * / {@code TRIGGERS_TEST_REDIS_CLI}); without them the test fails and says how to install them.
 */
public final class TestRedisCluster {

    private static final Logger log = LoggerFactory.getLogger(TestRedisCluster.class);
    private static final int NODES = 6;
    private static final Duration READY_WAIT = Duration.ofSeconds(60);
    private static TestRedisCluster instance;

    private final String redisServer;
    private final String redisCli;
    private final Path directory;
    private final List<Integer> ports;
    private final Map<Integer, Process> processes = new ConcurrentHashMap<>();

    private TestRedisCluster(String redisServer, String redisCli, Path directory, List<Integer> ports) {
        this.redisServer = redisServer;
        this.redisCli = redisCli;
        this.directory = directory;
        this.ports = List.copyOf(ports);
    }

    /** The cluster of this JVM, started on first use. */
    public static synchronized TestRedisCluster get() {
        if (instance == null) {
            TestRedisCluster cluster = new TestRedisCluster(executable("TRIGGERS_TEST_REDIS_SERVER", "redis-server"),
                    executable("TRIGGERS_TEST_REDIS_CLI", "redis-cli"), temporaryDirectory(), freePorts());
            Runtime.getRuntime().addShutdownHook(new Thread(cluster::stop, "test-redis-cluster-stop"));
            cluster.start();
            instance = cluster;
        }
        return instance;
    }

    /** {@code 127.0.0.1:port} of every node, as {@code spring.data.redis.cluster.nodes} takes them. */
    public String nodes() {
        return ports.stream().map(port -> "127.0.0.1:" + port).collect(Collectors.joining(","));
    }

    /** The nodes' ports. */
    public List<Integer> ports() {
        return ports;
    }

    /** Seed URIs for a Lettuce {@code RedisClusterClient}. */
    public List<RedisURI> uris() {
        return ports.stream().map(port -> RedisURI.create("127.0.0.1", port)).toList();
    }

    /** Ports of the nodes that are masters now (asked of a live node). */
    public List<Integer> masters() {
        return clusterNodes().stream().filter(line -> line.contains("master") && !line.contains("fail"))
                .map(TestRedisCluster::portOf).sorted().toList();
    }

    /** SIGKILLs one node (its replica takes over after the node timeout). */
    public void kill(int port) {
        Process process = processes.remove(port);
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Starts a killed node again with its old configuration; it rejoins the cluster (as a replica if it failed over). */
    public void restart(int port) {
        startNode(port);
        awaitHealthy();
    }

    /** Waits until every node answers and the cluster says its state is ok on each of them. */
    public void awaitHealthy() {
        long giveUpAt = System.nanoTime() + READY_WAIT.toNanos();
        String last = "";
        while (System.nanoTime() < giveUpAt) {
            last = ports.stream().filter(processes::containsKey).map(this::clusterState).collect(Collectors.joining(", "));
            List<Integer> masters = masters();
            if (!last.isEmpty() && Stream.of(last.split(", ")).allMatch("ok"::equals) && masters.size() == 3
                    && processes.keySet().containsAll(masters)) {
                return;
            }
            pause();
        }
        throw new IllegalStateException("the test Redis Cluster did not become healthy within " + READY_WAIT + " (states: " + last
                + "); node logs are under " + directory);
    }

    private void start() {
        try {
            for (int port : ports) {
                startNode(port);
            }
            List<String> create = new ArrayList<>(List.of(redisCli, "--cluster", "create"));
            ports.forEach(port -> create.add("127.0.0.1:" + port));
            create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            String output = run(create);
            if (!output.contains("[OK] All 16384 slots covered")) {
                throw new IllegalStateException("redis-cli --cluster create failed:\n" + output);
            }
            awaitHealthy();
            awaitReplicasInSync();
            log.info("Started a Redis Cluster for tests on ports {} (files in {})", ports, directory);
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    private void startNode(int port) {
        Path nodeDirectory = directory.resolve(Integer.toString(port));
        try {
            Files.createDirectories(nodeDirectory);
            Process process = new ProcessBuilder(redisServer, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1500",
                    "--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir", nodeDirectory.toString(),
                    "--logfile", nodeDirectory.resolve("redis.log").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(nodeDirectory.resolve("stdout.log").toFile())
                    .start();
            processes.put(port, process);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + redisServer + " on port " + port, e);
        }
        long giveUpAt = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < giveUpAt) {
            if ("PONG".equals(command(port, "PING"))) {
                return;
            }
            pause();
        }
        throw new IllegalStateException("redis-server did not answer on port " + port + "; see " + nodeDirectory);
    }

    /** A freshly created cluster's replicas still copy their masters for a moment; a failover before that loses writes. */
    private void awaitReplicasInSync() {
        long giveUpAt = System.nanoTime() + READY_WAIT.toNanos();
        while (System.nanoTime() < giveUpAt) {
            long synced = ports.stream().map(port -> command(port, "INFO", "replication"))
                    .filter(info -> info != null && info.contains("role:slave") && info.contains("master_link_status:up"))
                    .count();
            if (synced == NODES / 2) {
                return;
            }
            pause();
        }
        throw new IllegalStateException("the test Redis Cluster's replicas did not sync within " + READY_WAIT);
    }

    private String clusterState(int port) {
        String info = command(port, "CLUSTER", "INFO");
        if (info == null) {
            return "down";
        }
        return info.lines().filter(line -> line.startsWith("cluster_state:")).map(line -> line.substring(14).trim()).findFirst().orElse("?");
    }

    private List<String> clusterNodes() {
        for (int port : ports) {
            if (processes.containsKey(port)) {
                String nodes = command(port, "CLUSTER", "NODES");
                if (nodes != null) {
                    return nodes.lines().toList();
                }
            }
        }
        return List.of();
    }

    private static int portOf(String nodeLine) {
        String address = nodeLine.split(" ")[1];
        return Integer.parseInt(address.substring(address.indexOf(':') + 1, address.indexOf('@')));
    }

    /** One command to one node with redis-cli (no cluster redirection); null when the node does not answer. */
    private String command(int port, String... arguments) {
        List<String> command = new ArrayList<>(List.of(redisCli, "-h", "127.0.0.1", "-p", Integer.toString(port)));
        command.addAll(List.of(arguments));
        try {
            String output = run(command).trim();
            return output.startsWith("Could not connect") || output.isEmpty() ? null : output;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", command));
            }
            return new String(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private synchronized void stop() {
        processes.values().forEach(Process::destroyForcibly);
        processes.clear();
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            log.warn("could not remove {}: {}", directory, e.getMessage());
        }
    }

    private static String executable(String setting, String name) {
        String configured = System.getenv(setting);
        String candidate = configured != null && !configured.isBlank() ? configured : name;
        try {
            Process probe = new ProcessBuilder(candidate, "--version").redirectErrorStream(true).start();
            probe.getInputStream().readAllBytes();
            if (probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0) {
                return candidate;
            }
        } catch (IOException e) {
            // Reported below.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new IllegalStateException("""
                The Redis Cluster tests need %s and it was not found or did not run (%s).
                Install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis),
                or set %s to its path.""".formatted(name, candidate, setting));
    }

    private static Path temporaryDirectory() {
        try {
            return Files.createTempDirectory("triggers-redis-cluster-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Six node ports, each with its cluster bus port (port + 10000) free too, all below the
     * kernel's ephemeral range (32768 and up) so no outgoing connection is given one meanwhile.
     */
    private static List<Integer> freePorts() {
        Random random = new Random();
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = 20_000 + random.nextInt(2_700);
            List<Integer> candidates = new ArrayList<>();
            for (int i = 0; i < NODES; i++) {
                candidates.add(base + i);
            }
            if (candidates.stream().allMatch(port -> free(port) && free(port + 10_000))) {
                return candidates;
            }
        }
        throw new IllegalStateException("no six free ports (with their bus ports) between 20000 and 22706");
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
