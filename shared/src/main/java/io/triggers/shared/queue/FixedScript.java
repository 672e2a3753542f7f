package io.triggers.shared.queue;

import java.util.Objects;
import org.springframework.data.redis.core.script.DigestUtils;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * A Lua script for Spring Data Redis's reactive template whose text and SHA-1 are fixed when it is
 * made. {@code RedisScript.of} makes a {@code DefaultRedisScript}, which takes a
 * {@code ReentrantLock} on every {@code getSha1()} (to notice a changed script file): two event
 * loops running the same script at the same instant parked one of them on it (BlockHound caught an
 * api event loop parked there in CI, on the rate limiter's or the queue's script). Nothing here can
 * change, so nothing needs a lock.
 *
 * @param source     the script's text
 * @param resultType what the script returns ({@code Long}, {@code String}, {@code List}, ...)
 * @param sha1       the SHA-1 of {@code source} in hex, as {@code EVALSHA} names it
 */
public record FixedScript<T>(String source, Class<T> resultType, String sha1) implements RedisScript<T> {

    public FixedScript {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(resultType, "resultType");
        if (!DigestUtils.sha1DigestAsHex(source).equals(sha1)) {
            throw new IllegalArgumentException("sha1 is not the SHA-1 of source");
        }
    }

    /** The script of this text, returning {@code resultType}; its SHA-1 is computed here, once. */
    public static <T> FixedScript<T> of(String source, Class<T> resultType) {
        return new FixedScript<>(source, resultType, DigestUtils.sha1DigestAsHex(source));
    }

    @Override
    public String getSha1() {
        return sha1;
    }

    @Override
    public Class<T> getResultType() {
        return resultType;
    }

    @Override
    public String getScriptAsString() {
        return source;
    }
}
