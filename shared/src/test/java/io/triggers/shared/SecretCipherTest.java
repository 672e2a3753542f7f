package io.triggers.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.triggers.shared.crypto.EncryptionKeys;
import io.triggers.shared.crypto.MissingEncryptionKeys;
import io.triggers.shared.crypto.SecretCipher;
import io.triggers.shared.crypto.SecretCipher.UndecryptableSecret;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SecretCipherTest {

    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String K1 = key();
    private static final String K2 = key();

    private static String key() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static SecretCipher cipher(String setting) {
        return new SecretCipher(EncryptionKeys.parse(setting));
    }

    @Test
    void sealsUnderTheFirstKeyWithItsIdAndOpensAgain() {
        SecretCipher cipher = cipher("k1:" + K1);
        UUID owner = UUID.randomUUID();
        String sealed = cipher.seal(SECRET, owner);
        assertThat(sealed).startsWith("enc1:k1:").doesNotContain("whsec_").doesNotContain(SECRET.substring(6));
        assertThat(cipher.open(sealed, owner)).isEqualTo(SECRET);
        assertThat(cipher.seal(SECRET, owner)).as("a fresh nonce each time").isNotEqualTo(sealed);
        assertThat(cipher.isCurrent(sealed)).isTrue();
    }

    @Test
    void afterARotationOldCiphertextsStillOpenAndNewOnesUseTheNewKey() {
        UUID owner = UUID.randomUUID();
        String underK1 = cipher("k1:" + K1).seal(SECRET, owner);
        SecretCipher rotated = cipher("k2:" + K2 + ", k1:" + K1);
        assertThat(rotated.open(underK1, owner)).isEqualTo(SECRET);
        assertThat(rotated.isCurrent(underK1)).isFalse();
        assertThat(rotated.seal(SECRET, owner)).startsWith("enc1:k2:");
        assertThat(rotated.currentMarker()).isEqualTo("enc1:k2:");
    }

    @Test
    void aCiphertextOpensOnlyForItsOwnerAndUnaltered() {
        SecretCipher cipher = cipher("k1:" + K1);
        UUID owner = UUID.randomUUID();
        String sealed = cipher.seal(SECRET, owner);
        assertThatThrownBy(() -> cipher.open(sealed, UUID.randomUUID())).isInstanceOf(UndecryptableSecret.class);
        char last = sealed.charAt(sealed.length() - 1);
        String altered = sealed.substring(0, sealed.length() - 1) + (last == 'A' ? 'B' : 'A');
        assertThatThrownBy(() -> cipher.open(altered, owner)).isInstanceOf(UndecryptableSecret.class);
        assertThatThrownBy(() -> cipher("k1:" + K2).open(sealed, owner)).as("same id, other key").isInstanceOf(UndecryptableSecret.class);
    }

    @Test
    void aCiphertextUnderARemovedKeySaysWhichKeyIsMissing() {
        UUID owner = UUID.randomUUID();
        String underK1 = cipher("k1:" + K1).seal(SECRET, owner);
        assertThatThrownBy(() -> cipher("k2:" + K2).open(underK1, owner))
                .isInstanceOf(UndecryptableSecret.class).hasMessageContaining("'k1'").hasMessageNotContaining(K1);
    }

    @Test
    void plaintextFromBeforeEncryptionIsReadAsItIs() {
        SecretCipher cipher = cipher("k1:" + K1);
        assertThat(cipher.open(SECRET, UUID.randomUUID())).isEqualTo(SECRET);
        assertThat(cipher.isCurrent(SECRET)).isFalse();
    }

    @Test
    void missingOrMalformedSettingsAreRefusedWithHowToMakeAKeyAndWithoutTheKey() {
        assertThatThrownBy(() -> EncryptionKeys.parse(null)).isInstanceOf(MissingEncryptionKeys.class)
                .hasMessageContaining("TRIGGERS_ENCRYPTION_KEYS is not set").hasMessageContaining("openssl rand -base64 32");
        assertThatThrownBy(() -> EncryptionKeys.parse("  ")).isInstanceOf(MissingEncryptionKeys.class);
        assertThatThrownBy(() -> EncryptionKeys.parse(K1)).isInstanceOf(MissingEncryptionKeys.class)
                .hasMessageContaining("id:base64key").hasMessageNotContaining(K1);
        String short16 = Base64.getEncoder().encodeToString(new byte[16]);
        assertThatThrownBy(() -> EncryptionKeys.parse("k1:" + short16)).isInstanceOf(MissingEncryptionKeys.class)
                .hasMessageContaining("16 bytes");
        assertThatThrownBy(() -> EncryptionKeys.parse("k1:not*base64")).isInstanceOf(MissingEncryptionKeys.class);
        assertThatThrownBy(() -> EncryptionKeys.parse("bad id:" + K1)).isInstanceOf(MissingEncryptionKeys.class);
        assertThatThrownBy(() -> EncryptionKeys.parse("k1:" + K1 + ",k1:" + K2)).isInstanceOf(MissingEncryptionKeys.class)
                .hasMessageContaining("repeats");
    }
}
