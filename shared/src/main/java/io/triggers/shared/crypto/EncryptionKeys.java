package io.triggers.shared.crypto;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys that encrypt secrets at rest, from {@code TRIGGERS_ENCRYPTION_KEYS}:
 * {@code id:base64key,id:base64key}, each key 32 bytes (AES-256). The first encrypts; every one
 * decrypts, so a key is rotated by putting a new one first and keeping the old ones after it until
 * every stored secret has been re-encrypted (the api does that at start-up).
 */
public final class EncryptionKeys {

    /** The setting's environment name, for messages. */
    public static final String SETTING = "TRIGGERS_ENCRYPTION_KEYS";

    /** How to make a key, for messages. */
    public static final String HOW_TO_MAKE_ONE =
            "make one with: export " + SETTING + "=\"k1:$(openssl rand -base64 32)\"";

    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");
    private static final int KEY_BYTES = 32;

    private final String currentId;
    private final Map<String, SecretKey> keys;

    private EncryptionKeys(String currentId, Map<String, SecretKey> keys) {
        this.currentId = currentId;
        this.keys = keys;
    }

    /**
     * Parses the setting; an absent or malformed one is a {@link MissingEncryptionKeys} whose
     * message says what is wrong and how to make a key (never the key material itself).
     */
    public static EncryptionKeys parse(String setting) {
        if (setting == null || setting.isBlank()) {
            throw new MissingEncryptionKeys(SETTING + " is not set: endpoint signing secrets are stored encrypted and "
                    + "the service will not start without a key; " + HOW_TO_MAKE_ONE
                    + " (keep it: the secrets stored under it cannot be read without it)");
        }
        Map<String, SecretKey> keys = new LinkedHashMap<>();
        String first = null;
        int position = 0;
        for (String entry : setting.split(",")) {
            position++;
            String trimmed = entry.trim();
            int colon = trimmed.indexOf(':');
            if (colon < 0) {
                throw malformed(position, "is not of the form id:base64key");
            }
            String id = trimmed.substring(0, colon);
            if (!KEY_ID.matcher(id).matches()) {
                throw malformed(position, "has an id that is not 1-32 characters of [A-Za-z0-9_-]");
            }
            byte[] material;
            try {
                material = Base64.getDecoder().decode(trimmed.substring(colon + 1).trim());
            } catch (IllegalArgumentException e) {
                throw malformed(position, "(id " + id + ") is not valid base64");
            }
            if (material.length != KEY_BYTES) {
                throw malformed(position, "(id " + id + ") is " + material.length + " bytes; keys are " + KEY_BYTES + " bytes");
            }
            if (keys.putIfAbsent(id, new SecretKeySpec(material, "AES")) != null) {
                throw malformed(position, "repeats the id " + id);
            }
            if (first == null) {
                first = id;
            }
        }
        return new EncryptionKeys(first, Map.copyOf(keys));
    }

    private static MissingEncryptionKeys malformed(int position, String problem) {
        return new MissingEncryptionKeys(SETTING + ": key " + position + " " + problem + "; " + HOW_TO_MAKE_ONE);
    }

    /** The id of the key new secrets are encrypted under. */
    public String currentId() {
        return currentId;
    }

    SecretKey current() {
        return keys.get(currentId);
    }

    /** The key of {@code id}, or {@code null} when the setting does not hold it. */
    SecretKey byId(String id) {
        return keys.get(id);
    }
}
