package io.triggers.shared.config;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code triggers.encryption-keys} ({@code TRIGGERS_ENCRYPTION_KEYS}): the keys that encrypt
 * secrets at rest, {@code id:base64key,…}, the first encrypting. Required by both apps.
 */
@ConfigurationProperties("triggers")
public record EncryptionProperties(String encryptionKeys) {
}
