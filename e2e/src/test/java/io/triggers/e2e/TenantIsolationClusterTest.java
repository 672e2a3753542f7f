package io.triggers.e2e;

import io.triggers.testing.TestRedisCluster;
import java.util.Map;

/**
 * {@link TenantIsolationTests} with both apps on a Redis Cluster of three masters and three replicas
 * ({@link TestRedisCluster}, from the installed {@code redis-server}), given to them as
 * {@code spring.data.redis.cluster.nodes}.
 */
class TenantIsolationClusterTest extends TenantIsolationTests {

    @Override
    RunningService.Builder service(Map<String, String> settings) {
        return RunningService.with(settings).onCluster(TestRedisCluster.get());
    }
}
