package io.triggers.shared.crypto;

/** {@code TRIGGERS_ENCRYPTION_KEYS} is absent or malformed: the apps refuse to start. */
public final class MissingEncryptionKeys extends IllegalStateException {

    public MissingEncryptionKeys(String message) {
        super(message);
    }
}
