package io.triggers.shared.ids;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Random bytes for secrets (API keys, endpoint signing secrets). From a DRBG {@code SecureRandom}:
 * seeded once, then generated in memory, whereas the platform default (NativePRNG) reads
 * {@code /dev/urandom} on every call, a file read on an event loop (BlockHound flags it).
 */
public final class SecretBytes {

    private static final SecureRandom RANDOM = drbg();

    private SecretBytes() {
    }

    /** {@code length} cryptographically strong random bytes. */
    public static byte[] random(int length) {
        byte[] bytes = new byte[length];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static SecureRandom drbg() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }
}
