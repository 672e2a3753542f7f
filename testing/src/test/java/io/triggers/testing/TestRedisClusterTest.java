package io.triggers.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.triggers.embedded.EmbeddedRedis;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The test Redis Cluster forms without redis-cli, from the redis-server in the embedded-redis jar
 * (what a machine without Redis installed uses), and fails over when a master dies.
 */
class TestRedisClusterTest {

    @Test
    void formsFromTheEmbeddedBinaryAndFailsOver() {
        TestRedisCluster cluster = TestRedisCluster.start(EmbeddedRedis.executable().toString());
        RedisClusterClient client = RedisClusterClient.create(cluster.uris());
        try {
            assertThat(cluster.masters()).hasSize(3);
            try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
                for (int i = 0; i < 30; i++) {
                    connection.sync().set("key-" + i, "value-" + i);
                }
                assertThat(connection.sync().get("key-29")).isEqualTo("value-29");
            }

            List<Integer> mastersBefore = cluster.masters();
            int killed = mastersBefore.get(0);
            cluster.kill(killed);
            cluster.awaitHealthy();
            assertThat(cluster.masters()).hasSize(3).doesNotContain(killed);

            cluster.restart(killed);
            assertThat(cluster.masters()).hasSize(3);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            cluster.stop();
        }
    }
}
