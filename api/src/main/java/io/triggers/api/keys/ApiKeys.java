package io.triggers.api.keys;

import io.triggers.shared.ids.SecretBytes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * API key material. A key is {@code tk_live_} followed by 43 base64url characters (256 random
 * bits); only its SHA-256 is stored. A keyed hash adds nothing for 256-bit random secrets, and
 * plain SHA-256 keeps authentication one indexed lookup.
 */
public final class ApiKeys {

    public static final String PREFIX = "tk_live_";
    private static final int PREFIX_SHOWN = PREFIX.length() + 4;

    private ApiKeys() {
    }

    /** A new plain key, to be shown once. */
    public static String generate() {
        byte[] bytes = SecretBytes.random(32);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** What a key's owner sees of it in listings: {@code tk_live_} and its first four characters. */
    public static String displayPrefix(String key) {
        return key.substring(0, PREFIX_SHOWN);
    }

    /**
     * Whether a presented string can be a key at all: {@code tk_live_} and 43 base64url characters.
     * Checked before any lookup, so that no other string costs a query.
     */
    public static boolean wellFormed(String candidate) {
        if (candidate == null || candidate.length() != PREFIX.length() + 43 || !candidate.startsWith(PREFIX)) {
            return false;
        }
        for (int i = PREFIX.length(); i < candidate.length(); i++) {
            char c = candidate.charAt(i);
            boolean base64url = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!base64url) {
                return false;
            }
        }
        return true;
    }

    /** SHA-256 of the key, as stored in {@code api_keys.key_hash}. */
    public static byte[] hash(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
