package io.triggers.shared.crypto;

import io.triggers.shared.ids.SecretBytes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Encrypts secrets for storage (endpoint signing secrets), so a database dump alone does not let
 * anyone sign webhooks. AES-256-GCM with a random 96-bit nonce; the owner's id (the endpoint) is
 * authenticated with it, so a ciphertext copied onto another row does not decrypt. A stored value
 * reads {@code enc1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>}: the key id beside the
 * ciphertext says which key of {@link EncryptionKeys} opens it.
 *
 * <p>A stored value without that prefix is a secret written before encryption existed; it is read
 * as it is (the api encrypts such rows at start-up, so this only bridges a rolling upgrade).
 */
public final class SecretCipher {

    private static final String PREFIX = "enc1:";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    /** A Cipher is not thread-safe and costly to look up; one per thread, initialised per use. */
    private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM is not available", e);
        }
    });

    private final EncryptionKeys keys;

    public SecretCipher(EncryptionKeys keys) {
        this.keys = keys;
    }

    /** {@code plaintext} encrypted under the current key, bound to {@code owner}. */
    public String seal(String plaintext, UUID owner) {
        byte[] nonce = SecretBytes.random(NONCE_BYTES);
        try {
            Cipher cipher = CIPHERS.get();
            cipher.init(Cipher.ENCRYPT_MODE, keys.current(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associatedData(owner));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            byte[] stored = ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
            return PREFIX + keys.currentId() + ":" + ENCODER.encodeToString(stored);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not encrypt a secret", e);
        }
    }

    /**
     * The plaintext of a stored value bound to {@code owner}. Fails when the value was encrypted
     * under a key the setting no longer holds, or was altered, or belongs to another owner.
     */
    public String open(String stored, UUID owner) {
        if (stored == null || !isSealed(stored)) {
            return stored;
        }
        int keyEnd = stored.indexOf(':', PREFIX.length());
        if (keyEnd < 0) {
            throw new UndecryptableSecret("a stored secret is malformed");
        }
        String keyId = stored.substring(PREFIX.length(), keyEnd);
        SecretKey key = keys.byId(keyId);
        if (key == null) {
            throw new UndecryptableSecret("a stored secret is encrypted under key '" + keyId + "', which "
                    + EncryptionKeys.SETTING + " does not hold; add that key back after the current one");
        }
        try {
            byte[] bytes = DECODER.decode(stored.substring(keyEnd + 1));
            if (bytes.length <= NONCE_BYTES) {
                throw new UndecryptableSecret("a stored secret is malformed");
            }
            Cipher cipher = CIPHERS.get();
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 0, NONCE_BYTES));
            cipher.updateAAD(associatedData(owner));
            return new String(cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new UndecryptableSecret("a stored secret does not decrypt under key '" + keyId + "' (altered, or another row's)");
        }
    }

    /** Whether {@code stored} is encrypted and under the current key (nothing to re-encrypt). */
    public boolean isCurrent(String stored) {
        return stored == null || stored.startsWith(currentMarker());
    }

    /** What every value encrypted under the current key starts with ({@code enc1:<key id>:}), for queries. */
    public String currentMarker() {
        return PREFIX + keys.currentId() + ":";
    }

    /** Whether {@code stored} is an encrypted value (else a plaintext from before encryption). */
    public static boolean isSealed(String stored) {
        return stored.startsWith(PREFIX);
    }

    private static byte[] associatedData(UUID owner) {
        return ByteBuffer.allocate(16).putLong(owner.getMostSignificantBits()).putLong(owner.getLeastSignificantBits()).array();
    }

    /** A stored secret that cannot be decrypted with the configured keys. */
    public static final class UndecryptableSecret extends IllegalStateException {

        UndecryptableSecret(String message) {
            super(message);
        }
    }
}
