package io.triggers.api.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The operator's admin token ({@code triggers.admin-token}). Operator calls are on only when it
 * has at least {@value #MIN_LENGTH} characters; a shorter one is ignored, with one warning at
 * start-up, rather than guarded by a weak secret. Presented tokens are compared by their SHA-256,
 * in constant time, so neither the content nor the length of the token shows in response times.
 */
@Component
public final class AdminToken {

    public static final int MIN_LENGTH = 32;

    private static final Logger log = LoggerFactory.getLogger(AdminToken.class);

    /** The token's digest, or null when operator calls are off. */
    private final byte[] digest;

    public AdminToken(AdminProperties properties) {
        String token = properties.adminToken();
        if (token == null || token.isEmpty()) {
            digest = null;
        } else if (token.length() < MIN_LENGTH) {
            log.warn("triggers.admin-token (TRIGGERS_ADMIN_TOKEN) is shorter than {} characters, so operator calls stay off "
                    + "(they answer 404); set a random token of at least {} characters to turn them on", MIN_LENGTH, MIN_LENGTH);
            digest = null;
        } else {
            digest = sha256(token);
        }
    }

    /** Whether operator calls are on. */
    public boolean enabled() {
        return digest != null;
    }

    /** Whether {@code presented} is the admin token (false when operator calls are off). */
    public boolean matches(String presented) {
        return digest != null && presented != null && MessageDigest.isEqual(sha256(presented), digest);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
