package io.triggers.shared.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.triggers.testing.TestServers;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.core.script.RedisScript;

class FixedScriptTest {

    @Test
    void itsSha1IsTheOneRedisNamesTheScriptBy() {
        RedisClient client = RedisClient.create(TestServers.get().redisUri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            for (QueueScripts script : QueueScripts.values()) {
                FixedScript<Long> fixed = FixedScript.of(script.source(), Long.class);
                assertThat(fixed.getSha1()).as(script.name()).isEqualTo(connection.sync().scriptLoad(script.source()));
                assertThat(fixed.getSha1()).isEqualTo(RedisScript.of(script.source(), Long.class).getSha1());
                assertThat(fixed.getScriptAsString()).isEqualTo(script.source());
                assertThat(fixed.getResultType()).isEqualTo(Long.class);
                assertThat(fixed.returnsRawValue()).isFalse();
            }
        } finally {
            client.shutdown();
        }
    }

    @Test
    void aSha1ThatIsNotTheSourcesIsRefused() {
        String other = FixedScript.of("return 2", Long.class).sha1();
        assertThatThrownBy(() -> new FixedScript<>("return 1", Long.class, other)).isInstanceOf(IllegalArgumentException.class);
    }
}
