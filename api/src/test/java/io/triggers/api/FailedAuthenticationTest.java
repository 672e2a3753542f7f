package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.api.RawHttp.Response;
import io.triggers.testing.TcpProxy;
import io.triggers.testing.TestDatabase;
import io.triggers.testing.TestServers;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * What a failed authentication costs: a malformed key is refused without a database query, and
 * past 20 failures a second an address is answered 429 without one either. Queries are counted as
 * the bytes the api sends to PostgreSQL through a proxy, which shows any statement at once.
 */
class FailedAuthenticationTest {

    private static final SecureRandom RANDOM = new SecureRandom();

    @Test
    void pastTwentyFailuresASecondAnAddressIs429WithoutAQuery() throws Exception {
        TestDatabase database = TestServers.get().newDatabase();
        try (TcpProxy postgres = new TcpProxy(database.host(), database.port());
             RunningApi api = RunningApi.start(database, throughProxy(postgres, database))) {
            String key = api.newOrganizationKey("legitimate");
            awaitQuiet(postgres);

            // Unknown keys of the right form are looked up (each one once) until the address is past its limit.
            long before = postgres.bytesToServer();
            List<Response> guesses = atOnce(200, i -> RawHttp.send(api.port(), "GET", "/v1/me", unknownKey(), null));
            assertThat(guesses.stream().filter(answer -> answer.status() == 401).count()).as("401s").isGreaterThanOrEqualTo(20);
            Response limited = guesses.stream().filter(answer -> answer.status() == 429).findFirst().orElseThrow();
            assertThat(limited.code()).isEqualTo("RATE_LIMITED");
            assertThat(limited.text()).containsIgnoringCase("Retry-After: ");
            assertThat(guesses).extracting(Response::status).containsOnly(401, 429);
            assertThat(postgres.bytesToServer()).as("unknown keys were looked up").isGreaterThan(before);

            // While the address keeps trying, nothing it sends reaches PostgreSQL: not new keys, not
            // a valid key, not operator calls.
            long blockedFrom = postgres.bytesToServer();
            List<Response> refused = atOnce(240, i -> switch (i % 3) {
                case 0 -> RawHttp.send(api.port(), "GET", "/v1/me", unknownKey(), null);
                case 1 -> RawHttp.send(api.port(), "POST", "/v1/events", key, "{\"event_type\":\"a\",\"payload\":1}");
                default -> RawHttp.send(api.port(), "POST", "/v1/organizations", "not-the-admin-token", "{\"name\":\"x\"}");
            });
            assertThat(refused).extracting(Response::status).containsOnly(429);
            assertThat(postgres.bytesToServer()).as("bytes sent to PostgreSQL while the address was refused").isEqualTo(blockedFrom);

            // Health is not an authentication: it answers all along.
            assertThat(RawHttp.send(api.port(), "GET", "/v1/health", null, null).status()).isEqualTo(200);

            // Once the address slows down, it is served again.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250)).until(() ->
                    RawHttp.send(api.port(), "GET", "/v1/me", key, null).status() == 200);
        }
    }

    @Test
    void aMalformedKeyIsRefusedWithoutAQuery() {
        TestDatabase database = TestServers.get().newDatabase();
        try (TcpProxy postgres = new TcpProxy(database.host(), database.port());
             RunningApi api = RunningApi.start(database, throughProxy(postgres, database))) {
            String valid = api.newOrganizationKey("shape");
            String body43 = valid.substring("tk_live_".length());
            List<String> malformed = List.of(
                    "tk_live_" + body43.substring(1),
                    "tk_live_" + body43 + "A",
                    "tk_test_" + body43,
                    "TK_LIVE_" + body43,
                    "tk_live_" + body43.substring(1) + "+",
                    "tk_live_" + body43.substring(1) + "/",
                    "tk_live_" + body43.substring(1) + "=",
                    "tk_live_" + body43.substring(1) + ".",
                    "tk_live_" + body43.substring(1) + "!",
                    "tk_live_" + body43.substring(3) + "%41",
                    "tk_live_" + body43.substring(1) + "\u00e9",
                    "tk_live_" + body43.substring(0, 20) + "~" + body43.substring(21));
            awaitQuiet(postgres);
            long before = postgres.bytesToServer();
            for (String key : malformed) {
                Response answer = RawHttp.send(api.port(), "GET", "/v1/me", key, null);
                assertThat(answer.status()).as(key).isEqualTo(401);
                assertThat(answer.code()).as(key).isEqualTo("UNAUTHORIZED");
            }
            assertThat(postgres.bytesToServer()).as("bytes sent to PostgreSQL for malformed keys").isEqualTo(before);

            // The counting itself works: a well-formed unknown key is looked up.
            assertThat(RawHttp.send(api.port(), "GET", "/v1/me", unknownKey(), null).status()).isEqualTo(401);
            assertThat(postgres.bytesToServer()).isGreaterThan(before);
        }
    }

    /**
     * Request-time queries (R2DBC) through the proxy; the schema migration (JDBC) goes straight to the
     * server. One pooled connection, so that the pool never opens another in the background (whose
     * start-up statements would count as queries) while bytes are being counted.
     */
    private static Map<String, String> throughProxy(TcpProxy postgres, TestDatabase database) {
        return Map.of(
                "spring.r2dbc.url", "r2dbc:postgresql://" + postgres.host() + ":" + postgres.port() + "/" + database.name(),
                "spring.r2dbc.pool.initial-size", "1",
                "spring.r2dbc.pool.max-size", "1",
                // No background write of keys' last use while bytes are counted.
                "triggers.auth.last-used-flush-every", "1h");
    }

    /**
     * Sends from 16 threads at once, so that the address tries faster than its limit however long
     * one request takes on this machine.
     */
    private static List<Response> atOnce(int requests, IntFunction<Response> request) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(16);
        try {
            List<Future<Response>> sent = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                int index = i;
                sent.add(clients.submit(() -> request.apply(index)));
            }
            List<Response> answers = new ArrayList<>();
            for (Future<Response> answer : sent) {
                answers.add(answer.get(60, TimeUnit.SECONDS));
            }
            return answers;
        } finally {
            clients.shutdownNow();
        }
    }

    /** Waits until nothing has gone to PostgreSQL for half a second (the start-up's and set-up's last statements). */
    private static void awaitQuiet(TcpProxy postgres) {
        AtomicLong seen = new AtomicLong(-1);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).until(() -> {
            long now = postgres.bytesToServer();
            return seen.getAndSet(now) == now;
        });
    }

    private static String unknownKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "tk_live_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
