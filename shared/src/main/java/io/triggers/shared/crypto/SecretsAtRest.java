package io.triggers.shared.crypto;

import io.triggers.shared.config.EncryptionProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The {@link SecretCipher} of an app, from {@code TRIGGERS_ENCRYPTION_KEYS}; both apps import it. */
@Configuration(proxyBeanMethods = false)
public class SecretsAtRest {

    @Bean
    SecretCipher secretCipher(EncryptionProperties properties) {
        return new SecretCipher(EncryptionKeys.parse(properties.encryptionKeys()));
    }
}
