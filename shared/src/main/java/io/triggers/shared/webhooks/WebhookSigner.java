package io.triggers.shared.webhooks;

import io.triggers.shared.ids.SecretBytes;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs webhook deliveries per the Standard Webhooks specification: {@code webhook-signature} is
 * {@code v1,<base64 HMAC-SHA256(secret bytes, "<id>.<timestamp>.<body>")>}, one space-separated
 * signature per active secret. Secrets are {@code whsec_} followed by base64 of 32 random bytes.
 */
public final class WebhookSigner {

    public static final String SECRET_PREFIX = "whsec_";
    private static final String HMAC_SHA256 = "HmacSHA256";

    private WebhookSigner() {
    }

    /** A new endpoint secret: {@code whsec_} + base64 of 32 random bytes. */
    public static String newSecret() {
        byte[] bytes = SecretBytes.random(32);
        return SECRET_PREFIX + Base64.getEncoder().encodeToString(bytes);
    }

    /**
     * The {@code webhook-signature} header value: one {@code v1,<signature>} per secret, in order.
     *
     * @param secrets   the endpoint's current secret first, then any older one still in its grace period
     * @param messageId the {@code webhook-id} (the event id)
     * @param timestamp the {@code webhook-timestamp}, Unix seconds
     * @param body      the exact request body bytes
     */
    public static String signatureHeader(List<String> secrets, String messageId, long timestamp, byte[] body) {
        StringBuilder header = new StringBuilder();
        for (String secret : secrets) {
            if (header.length() > 0) {
                header.append(' ');
            }
            header.append("v1,").append(sign(secret, messageId, timestamp, body));
        }
        return header.toString();
    }

    /** The base64 HMAC-SHA256 of {@code "<id>.<timestamp>.<body>"} under one secret. */
    public static String sign(String secret, String messageId, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance(HMAC_SHA256);
            mac.init(new SecretKeySpec(secretBytes(secret), HMAC_SHA256));
            mac.update((messageId + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    private static byte[] secretBytes(String secret) {
        String encoded = secret.startsWith(SECRET_PREFIX) ? secret.substring(SECRET_PREFIX.length()) : secret;
        return Base64.getDecoder().decode(encoded);
    }
}
