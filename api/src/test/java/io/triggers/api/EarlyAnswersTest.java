package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.web.UnreadBodies;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An answer given before the request's body is read (401, 413, 429) reaches a client that writes
 * its whole body before reading: the server reads and drops the rest first. It used to close with
 * the body unread; the kernel then reset the connection, the client's writes failed and the answer
 * could be lost (CI saw {@code HTTP/1.1 header parser received no bytes} for a 413).
 */
class EarlyAnswersTest {

    /** Larger than the socket buffers hold on loopback (2 MiB did not make the writes fail), under 8 MiB. */
    private static final long LARGE = 6L * 1024 * 1024;

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
    void anUnauthenticatedRequestsBodyIsReadBeforeItsAnswer() {
        RawHttp.Response answer = RawHttp.sendLargeBody(api.port(), "/v1/events", null, LARGE, false);
        assertThat(answer.status()).isEqualTo(401);
        assertThat(answer.code()).isEqualTo("UNAUTHORIZED");
    }

    @Test
    void aBodyDeclaredOverTheLimitIsReadBeforeItsAnswer() {
        String key = api.newUnlimitedOrganizationKey("early-declared");
        RawHttp.Response single = RawHttp.sendLargeBody(api.port(), "/v1/events", key, LARGE, false);
        assertThat(single.status()).isEqualTo(413);
        assertThat(single.code()).isEqualTo("PAYLOAD_TOO_LARGE");
        RawHttp.Response batch = RawHttp.sendLargeBody(api.port(), "/v1/events/batch", key, LARGE, false);
        assertThat(batch.status()).isEqualTo(413);
        assertThat(batch.code()).isEqualTo("PAYLOAD_TOO_LARGE");
    }

    @Test
    void aChunkedBodyOverTheLimitIsReadToItsEndBeforeItsAnswer() {
        String key = api.newUnlimitedOrganizationKey("early-chunked");
        RawHttp.Response answer = RawHttp.sendLargeBody(api.port(), "/v1/events", key, LARGE, true);
        assertThat(answer.status()).isEqualTo(413);
        assertThat(answer.code()).isEqualTo("PAYLOAD_TOO_LARGE");
    }

    @Test
    void aRateLimitedRequestsBodyIsReadBeforeItsAnswer() {
        String key = api.createOrganization("{\"name\":\"early-limited\",\"rate_limit_per_minute\":1}")
                .get("api_key").get("key").stringValue();
        assertThat(api.send("POST", "/v1/events", key, "{\"event_type\":\"a\",\"payload\":1}", Map.of()).status()).isEqualTo(201);
        RawHttp.Response answer = RawHttp.sendLargeBody(api.port(), "/v1/events", key, LARGE, false);
        assertThat(answer.status()).isEqualTo(429);
        assertThat(answer.code()).isEqualTo("RATE_LIMITED");
    }

    @Test
    void whatIsTooLargeToWaitForOrWaitsForContinueIsAnsweredAtOnce() {
        String key = api.newUnlimitedOrganizationKey("early-at-once");
        // No byte of either body is ever sent: the answer must come without it.
        RawHttp.Response huge = RawHttp.answerBeforeBody(api.port(), "POST", "/v1/events", key, UnreadBodies.MAX_DISCARDED_BYTES + 1);
        assertThat(huge.status()).isEqualTo(413);
        RawHttp.Response waiting = RawHttp.answerBeforeBody(api.port(), "POST", "/v1/events", key, LARGE, Map.of("Expect", "100-continue"));
        assertThat(waiting.status()).isEqualTo(413);
        assertThat(waiting.text()).doesNotContain("100 Continue");
    }
}
