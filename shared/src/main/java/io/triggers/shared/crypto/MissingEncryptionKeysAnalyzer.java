package io.triggers.shared.crypto;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a missing or malformed {@code TRIGGERS_ENCRYPTION_KEYS} into a start-up message that says what to do. */
public final class MissingEncryptionKeysAnalyzer extends AbstractFailureAnalyzer<MissingEncryptionKeys> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, MissingEncryptionKeys cause) {
        return new FailureAnalysis(cause.getMessage(),
                "Set " + EncryptionKeys.SETTING + " to id:base64key[,id:base64key…] (32-byte keys; the first encrypts, all decrypt); "
                        + EncryptionKeys.HOW_TO_MAKE_ONE + ". Give every api and worker replica the same value.",
                cause);
    }
}
