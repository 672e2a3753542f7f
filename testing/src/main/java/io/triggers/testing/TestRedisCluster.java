package io.triggers.testing;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.triggers.embedded.EmbeddedRedis;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Redis Cluster for tests: three masters and three replicas, started on spare loopback ports
 * and joined with CLUSTER MEET, ADDSLOTS and REPLICATE (what {@code redis-cli --cluster create}
 * does). One per test JVM ({@link #get()}), stopped (and its files removed) when the JVM exits;
 * tests share it by using their own key prefixes. Nodes can be killed and restarted to test failover.
 *
 * <p>The nodes run {@code TRIGGERS_TEST_REDIS_SERVER} if set, else the {@code redis-server} on the
 * PATH, else the one from the embedded-redis jar ({@link EmbeddedRedis#executable()}), so nothing
 * needs installing.
 */
public final class TestRedisCluster {

    private static final Logger log = LoggerFactory.getLogger(TestRedisCluster.class);
    private static final int NODES = 6;
    private static final Duration READY_WAIT = Duration.ofSeconds(60);
    private static TestRedisCluster instance;

    private final String redisServer;
    private final Path directory;
    private final List<Integer> ports;
    private final Map<Integer, Process> processes = new ConcurrentHashMap<>();
    /** For commands to single nodes (no cluster redirection). */
    private final RedisClient client = RedisClient.create();

    private TestRedisCluster(String redisServer, Path directory, List<Integer> ports) {
        this.redisServer = redisServer;
        this.directory = directory;
        this.ports = List.copyOf(ports);
    }

    /** The cluster of this JVM, started on first use. */
    public static synchronized TestRedisCluster get() {
        if (instance == null) {
            instance = start(redisServer());
        }
        return instance;
    }

    /** A new cluster whose nodes run {@code redisServer}, stopped when the JVM exits (or by {@link #stop()}). */
    static TestRedisCluster start(String redisServer) {
        TestRedisCluster cluster = new TestRedisCluster(redisServer, temporaryDirectory(), freePorts());
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::stop, "test-redis-cluster-stop"));
        cluster.start();
        return cluster;
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

    /**
     * How many keys matching the glob {@code pattern} the cluster's live masters hold (SCAN on each):
     * what tells a test its apps really wrote to this cluster.
     */
    public long countKeys(String pattern) {
        long count = 0;
        for (int port : masters()) {
            Long onNode = command(port, node -> {
                long found = 0;
                io.lettuce.core.KeyScanCursor<String> cursor = node.scan(io.lettuce.core.ScanArgs.Builder.matches(pattern).limit(1000));
                found += cursor.getKeys().size();
                while (!cursor.isFinished()) {
                    cursor = node.scan(cursor, io.lettuce.core.ScanArgs.Builder.matches(pattern).limit(1000));
                    found += cursor.getKeys().size();
                }
                return found;
            });
            count += onNode == null ? 0 : onNode;
        }
        return count;
    }

    /**
     * Deletes every key matching the glob {@code pattern} from the live masters (one DEL per key: a
     * node's keys are in several slots), as a node restarted without persistence would have lost
     * them; returns how many.
     */
    public long deleteKeys(String pattern) {
        long deleted = 0;
        for (int port : masters()) {
            Long onNode = command(port, node -> {
                long removed = 0;
                io.lettuce.core.ScanArgs args = io.lettuce.core.ScanArgs.Builder.matches(pattern).limit(1000);
                io.lettuce.core.KeyScanCursor<String> cursor = node.scan(args);
                while (true) {
                    for (String key : cursor.getKeys()) {
                        removed += node.del(key);
                    }
                    if (cursor.isFinished()) {
                        return removed;
                    }
                    cursor = node.scan(cursor, args);
                }
            });
            deleted += onNode == null ? 0 : onNode;
        }
        return deleted;
    }

    /** A hash's fields and values, read from the master serving it. */
    public java.util.Map<String, String> hgetall(String key) {
        return command(masterOf(key), node -> node.hgetall(key));
    }

    /** The port of the live master serving {@code key}'s slot now. */
    public int masterOf(String key) {
        int slot = io.lettuce.core.cluster.SlotHash.getSlot(key);
        for (String line : clusterNodes()) {
            String[] fields = line.split(" ");
            if (!fields[2].contains("master") || fields[2].contains("fail")) {
                continue;
            }
            for (int i = 8; i < fields.length; i++) {
                String range = fields[i];
                if (range.startsWith("[")) {
                    continue; // a slot being migrated
                }
                int dash = range.indexOf('-');
                int from = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(range.substring(dash + 1));
                if (slot >= from && slot <= to) {
                    return portOf(line);
                }
            }
        }
        throw new IllegalStateException("no live master serves slot " + slot + " (of " + key + ")");
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
            create();
            awaitHealthy();
            awaitReplicasInSync();
            log.info("Started a Redis Cluster for tests on ports {} (files in {})", ports, directory);
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    /** Joins the nodes: the first three take a third of the slots each, the other three replicate them. */
    private void create() {
        int first = ports.get(0);
        for (int port : ports.subList(1, NODES)) {
            onNode(first, node -> node.clusterMeet("127.0.0.1", port));
        }
        int masters = NODES / 2;
        for (int i = 0; i < masters; i++) {
            int from = 16384 * i / masters;
            int to = 16384 * (i + 1) / masters;
            onNode(ports.get(i), node -> node.clusterAddSlots(IntStream.range(from, to).toArray()));
        }
        long giveUpAt = System.nanoTime() + READY_WAIT.toNanos();
        while (!ports.stream().allMatch(port -> knownNodes(port) == NODES)) {
            if (System.nanoTime() > giveUpAt) {
                throw new IllegalStateException("the test Redis Cluster's nodes did not all meet within " + READY_WAIT);
            }
            pause();
        }
        for (int i = 0; i < masters; i++) {
            String master = onNode(ports.get(i), RedisCommands::clusterMyId);
            onNode(ports.get(masters + i), node -> node.clusterReplicate(master));
        }
    }

    private long knownNodes(int port) {
        String nodes = command(port, RedisCommands::clusterNodes);
        return nodes == null ? 0 : nodes.lines().filter(line -> !line.isBlank()).count();
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
            if ("PONG".equals(command(port, RedisCommands::ping))) {
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
            long synced = ports.stream().map(port -> command(port, node -> node.info("replication")))
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
        String info = command(port, RedisCommands::clusterInfo);
        if (info == null) {
            return "down";
        }
        return info.lines().filter(line -> line.startsWith("cluster_state:")).map(line -> line.substring(14).trim()).findFirst().orElse("?");
    }

    private List<String> clusterNodes() {
        for (int port : ports) {
            if (processes.containsKey(port)) {
                String nodes = command(port, RedisCommands::clusterNodes);
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

    /** One command to one node (no cluster redirection); null when the node does not answer. */
    private <T> T command(int port, Function<RedisCommands<String, String>, T> command) {
        try {
            return onNode(port, command);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private <T> T onNode(int port, Function<RedisCommands<String, String>, T> command) {
        RedisURI uri = RedisURI.builder().withHost("127.0.0.1").withPort(port).withTimeout(Duration.ofSeconds(5)).build();
        try (StatefulRedisConnection<String, String> connection = client.connect(uri)) {
            return command.apply(connection.sync());
        }
    }

    /** Stops every node and removes their files. */
    synchronized void stop() {
        processes.values().forEach(Process::destroyForcibly);
        processes.clear();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            log.warn("could not remove {}: {}", directory, e.getMessage());
        }
    }

    /** TRIGGERS_TEST_REDIS_SERVER, else redis-server on the PATH, else the embedded-redis jar's. */
    private static String redisServer() {
        String configured = System.getenv("TRIGGERS_TEST_REDIS_SERVER");
        if (configured != null && !configured.isBlank()) {
            if (!runs(configured)) {
                throw new IllegalStateException("TRIGGERS_TEST_REDIS_SERVER is " + configured + ", which did not run (" + configured
                        + " --version); unset it to use the redis-server on the PATH or the embedded one.");
            }
            return configured;
        }
        return runs("redis-server") ? "redis-server" : EmbeddedRedis.executable().toString();
    }

    private static boolean runs(String executable) {
        try {
            Process probe = new ProcessBuilder(executable, "--version").redirectErrorStream(true).start();
            probe.getInputStream().readAllBytes();
            return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
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
