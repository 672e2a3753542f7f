package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.api.RunningApi.Answer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** API keys: who am I, listing, creating, rotating with a grace period, revoking everywhere. */
class KeysTest {

    private static RunningApi api;

    @BeforeAll
    static void start() {
        api = RunningApi.start(Map.of());
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void meNamesTheKeysOrganization() {
        JsonNode organization = api.createOrganization("{\"name\":\"whoami\",\"tier\":\"business\"}");
        JsonNode me = api.send("GET", "/v1/me", key(organization), null, Map.of()).json();
        assertThat(me.get("organization_id").stringValue()).isEqualTo(organization.get("id").stringValue());
        assertThat(me.get("name").stringValue()).isEqualTo("whoami");
        assertThat(me.get("tier").stringValue()).isEqualTo("business");
        assertThat(me.get("rate_limit_per_minute").intValue()).isEqualTo(10_000);
    }

    @Test
    void newKeysWorkAndAreListedWithoutKeyMaterial() {
        String first = key(api.createOrganization("{\"name\":\"keys\",\"rate_limit_per_minute\":0}"));
        Answer created = api.send("POST", "/v1/keys", first, null, Map.of());
        assertThat(created.status()).isEqualTo(201);
        String second = created.json().get("key").stringValue();
        assertThat(second).matches("tk_live_[A-Za-z0-9_-]{43}").startsWith(created.json().get("prefix").stringValue());

        assertThat(api.send("GET", "/v1/me", second, null, Map.of()).status()).isEqualTo(200);
        Answer listed = api.send("GET", "/v1/keys", second, null, Map.of());
        assertThat(listed.json().get("keys")).hasSize(2);
        assertThat(listed.text()).doesNotContain(first).doesNotContain(second);
        assertThat(listed.json().get("keys").get(0).has("key")).isFalse();
        assertThat(listed.json().get("keys").get(1).get("id").stringValue()).isEqualTo(created.json().get("id").stringValue());
    }

    @Test
    void rotatingWithoutGraceRevokesTheOldKeyAtOnce() {
        String old = key(api.createOrganization("{\"name\":\"rotate-now\",\"rate_limit_per_minute\":0}"));
        String oldId = keyIds(old).get(0).get("id").stringValue();

        Answer rotated = api.send("POST", "/v1/keys/" + oldId + "/rotate", old, "{\"grace_period_seconds\":0}", Map.of());

        assertThat(rotated.status()).isEqualTo(201);
        String fresh = rotated.json().get("key").stringValue();
        assertThat(api.send("GET", "/v1/me", old, null, Map.of()).status()).isEqualTo(401);
        assertThat(api.send("GET", "/v1/me", fresh, null, Map.of()).status()).isEqualTo(200);
    }

    @Test
    void theOldKeyWorksUntilTheGracePeriodEnds() {
        String old = key(api.createOrganization("{\"name\":\"rotate-grace\",\"rate_limit_per_minute\":0}"));
        String oldId = keyIds(old).get(0).get("id").stringValue();

        Instant before = Instant.now();
        Answer rotated = api.send("POST", "/v1/keys/" + oldId + "/rotate", old, "{\"grace_period_seconds\":2}", Map.of());
        Instant after = Instant.now();
        String fresh = rotated.json().get("key").stringValue();

        assertThat(api.send("GET", "/v1/me", old, null, Map.of()).status()).isEqualTo(200);
        JsonNode listedOld = keyIds(fresh).get(0);
        // Two seconds from the rotation, whenever this line runs (it compared with the time now, which a
        // slow moment between the calls could push past the expiry).
        assertThat(Instant.parse(listedOld.get("expires_at").stringValue()))
                .isBetween(before.plusSeconds(2).minusMillis(1), after.plusSeconds(2).plusMillis(1));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> api.send("GET", "/v1/me", old, null, Map.of()).status() == 401);
        assertThat(api.send("GET", "/v1/me", fresh, null, Map.of()).status()).isEqualTo(200);
    }

    @Test
    void rotatingWithoutABodyGivesAnHourOfGrace() {
        String old = key(api.createOrganization("{\"name\":\"rotate-default\",\"rate_limit_per_minute\":0}"));
        String oldId = keyIds(old).get(0).get("id").stringValue();
        String fresh = api.send("POST", "/v1/keys/" + oldId + "/rotate", old, null, Map.of()).json().get("key").stringValue();
        Instant expires = Instant.parse(keyIds(fresh).get(0).get("expires_at").stringValue());
        assertThat(expires).isBetween(Instant.now().plusSeconds(3590), Instant.now().plusSeconds(3610));
    }

    @Test
    void rotatingAnUnknownKeyIs404AndABadGraceIs400() {
        String key = key(api.createOrganization("{\"name\":\"rotate-bad\",\"rate_limit_per_minute\":0}"));
        String otherId = keyIds(key(api.createOrganization("{\"name\":\"someone-else\"}"))).get(0).get("id").stringValue();
        String ownId = keyIds(key).get(0).get("id").stringValue();

        assertThat(api.send("POST", "/v1/keys/" + otherId + "/rotate", key, "{}", Map.of()).status()).isEqualTo(404);
        assertThat(api.send("POST", "/v1/keys/not-a-uuid/rotate", key, "{}", Map.of()).status()).isEqualTo(404);
        for (String body : new String[] {"{\"grace_period_seconds\":-1}", "{\"grace_period_seconds\":\"soon\"}",
                "{\"grace_period_seconds\":99999999}", "{\"grace\":1}"}) {
            assertThat(api.send("POST", "/v1/keys/" + ownId + "/rotate", key, body, Map.of()).status()).isEqualTo(400);
        }
    }

    @Test
    void deletingRevokesTheKeyButNeverTheLastOne() {
        String first = key(api.createOrganization("{\"name\":\"delete\",\"rate_limit_per_minute\":0}"));
        String firstId = keyIds(first).get(0).get("id").stringValue();
        JsonNode created = api.send("POST", "/v1/keys", first, null, Map.of()).json();
        String second = created.get("key").stringValue();

        assertThat(api.send("DELETE", "/v1/keys/" + firstId, second, null, Map.of()).status()).isEqualTo(204);
        assertThat(api.send("GET", "/v1/me", first, null, Map.of()).status()).isEqualTo(401);

        Answer last = api.send("DELETE", "/v1/keys/" + created.get("id").stringValue(), second, null, Map.of());
        assertThat(last.status()).isEqualTo(409);
        assertThat(last.json().get("error").get("code").stringValue()).isEqualTo("CONFLICT");
        assertThat(api.send("GET", "/v1/me", second, null, Map.of()).status()).isEqualTo(200);
        assertThat(api.send("DELETE", "/v1/keys/" + firstId, second, null, Map.of()).status()).isEqualTo(404);
    }

    @Test
    void anotherOrganizationsKeyIs404() {
        String mine = key(api.createOrganization("{\"name\":\"mine\",\"rate_limit_per_minute\":0}"));
        String theirs = key(api.createOrganization("{\"name\":\"theirs\",\"rate_limit_per_minute\":0}"));
        api.send("POST", "/v1/keys", theirs, null, Map.of());
        String theirId = keyIds(theirs).get(0).get("id").stringValue();
        assertThat(api.send("DELETE", "/v1/keys/" + theirId, mine, null, Map.of()).status()).isEqualTo(404);
        assertThat(api.send("GET", "/v1/me", theirs, null, Map.of()).status()).isEqualTo(200);
    }

    @Test
    void aDeletedKeyStopsWorkingOnEveryReplicaWithinFiveSeconds() {
        try (RunningApi replica = RunningApi.alongside(api, Map.of())) {
            String keeper = key(api.createOrganization("{\"name\":\"replicas\",\"rate_limit_per_minute\":0}"));
            JsonNode doomed = api.send("POST", "/v1/keys", keeper, null, Map.of()).json();
            String doomedKey = doomed.get("key").stringValue();
            // The replica resolves and caches the key.
            assertThat(replica.send("GET", "/v1/me", doomedKey, null, Map.of()).status()).isEqualTo(200);

            assertThat(api.send("DELETE", "/v1/keys/" + doomed.get("id").stringValue(), keeper, null, Map.of()).status())
                    .isEqualTo(204);
            long deletedAt = System.nanoTime();

            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                    .until(() -> replica.send("GET", "/v1/me", doomedKey, null, Map.of()).status() == 401);
            System.out.printf("revoked key refused by the other replica after %d ms%n", (System.nanoTime() - deletedAt) / 1_000_000);
            assertThat(api.send("GET", "/v1/me", doomedKey, null, Map.of()).status()).isEqualTo(401);
        }
    }

    @Test
    void lastUsedAtIsKeptWithoutAWritePerRequest() throws Exception {
        RunningApi lazy = RunningApi.alongside(api, Map.of("triggers.auth.last-used-flush-every", "1h"));
        String key = key(lazy.createOrganization("{\"name\":\"usage\",\"rate_limit_per_minute\":0}"));
        String keyId;
        try {
            for (int i = 0; i < 20; i++) {
                assertThat(lazy.send("GET", "/v1/me", key, null, Map.of()).status()).isEqualTo(200);
            }
            JsonNode listed = lazy.send("GET", "/v1/keys", key, null, Map.of()).json().get("keys").get(0);
            keyId = listed.get("id").stringValue();
            assertThat(Instant.parse(listed.get("last_used_at").stringValue())).isAfter(Instant.now().minusSeconds(60));
            // Shown from memory: nothing written yet.
            assertThat(api.queryText("SELECT last_used_at FROM api_keys WHERE id = ?::uuid", keyId)).isNull();
        } finally {
            lazy.close();
        }
        // Written once, at shutdown.
        assertThat(api.queryText("SELECT last_used_at FROM api_keys WHERE id = ?::uuid", keyId)).isNotNull();
    }

    private static String key(JsonNode organization) {
        return organization.get("api_key").get("key").stringValue();
    }

    private static JsonNode keyIds(String key) {
        return api.send("GET", "/v1/keys", key, null, Map.of()).json().get("keys");
    }
}
