package io.triggers.client;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures: {@code v1,} and the base64 of HMAC-SHA256 over
 * {@code "<id>.<timestamp>.<body>"}, keyed with the bytes of a {@code whsec_<base64>} secret. Used by
 * {@link WebhookVerifier}, by {@code triggers listen} to sign what it forwards, and by tests of a
 * receiver.
 */
public final class WebhookSigner {

    private static final String PREFIX = "whsec_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private WebhookSigner() {
    }

    /** A new secret: {@code whsec_} and the base64 of 32 random bytes, as the API makes them. */
    public static String newSecret() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return PREFIX + Base64.getEncoder().encodeToString(key);
    }

    /** The {@code v1,<base64>} signature of a webhook under one secret. */
    public static String sign(String secret, String id, long timestampSeconds, byte[] body) {
        return "v1," + Base64.getEncoder().encodeToString(mac(key(secret), id, timestampSeconds, body));
    }

    static byte[] mac(byte[] key, String id, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    /** The key bytes of a {@code whsec_} secret (the prefix is optional, as in the reference library). */
    static byte[] key(String secret) {
        String encoded = secret.startsWith(PREFIX) ? secret.substring(PREFIX.length()) : secret;
        try {
            return Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a webhook secret is whsec_ and base64", e);
        }
    }
}
