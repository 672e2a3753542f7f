package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.triggers.shared.crypto.MissingEncryptionKeys;
import io.triggers.testing.TestServers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Endpoint signing secrets are stored encrypted (a dump of the database cannot sign webhooks),
 * stay readable through a key rotation, and are brought under the current key at start-up.
 */
class SecretsAtRestTest {

    @Test
    void secretsAreStoredEncryptedUnderTheCurrentKey() throws Exception {
        try (RunningApi api = RunningApi.start(Map.of("triggers.delivery.allow-private-targets", "true"))) {
            String key = api.newUnlimitedOrganizationKey("at-rest");
            JsonNode created = newEndpoint(api, key);
            String id = created.get("id").stringValue();
            String first = created.get("secret").stringValue();
            String second = api.send("POST", "/v1/endpoints/" + id + "/secret/rotate", key, null, Map.of()).json().get("secret").stringValue();

            List<String> stored = storedSecrets(api);
            assertThat(stored).hasSize(2).allSatisfy(value -> assertThat(value).startsWith("enc1:test:").doesNotContain("whsec_"));
            assertThat(String.join(" ", stored)).doesNotContain(first.substring(6)).doesNotContain(second.substring(6));
            assertThat(api.send("GET", "/v1/endpoints/" + id + "/secret", key, null, Map.of()).json().get("secret").stringValue())
                    .isEqualTo(second);
        }
    }

    @Test
    void afterAKeyRotationStartUpReencryptsEverySecretAndTheOldKeyCanGo() throws Exception {
        String secret;
        String id;
        String legacyId;
        String legacySecret = "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
        RunningApi first = RunningApi.start(Map.of("triggers.delivery.allow-private-targets", "true"));
        String key;
        try {
            key = first.newUnlimitedOrganizationKey("rotation");
            JsonNode created = newEndpoint(first, key);
            id = created.get("id").stringValue();
            secret = created.get("secret").stringValue();
            first.send("POST", "/v1/endpoints/" + id + "/secret/rotate", key, null, Map.of());
            secret = first.send("GET", "/v1/endpoints/" + id + "/secret", key, null, Map.of()).json().get("secret").stringValue();
            // Static headers are sealed like secrets, and re-sealed with them.
            assertThat(first.send("PATCH", "/v1/endpoints/" + id, key, "{\"headers\":{\"Authorization\":\"Bearer rotate-me-1\"}}",
                    Map.of()).status()).isEqualTo(200);
            // A row as written before secrets were encrypted.
            legacyId = newEndpoint(first, key).get("id").stringValue();
            try (Connection db = first.jdbc(); PreparedStatement update = db.prepareStatement("UPDATE endpoints SET secret = ? WHERE id = ?::uuid")) {
                update.setString(1, legacySecret);
                update.setString(2, legacyId);
                assertThat(update.executeUpdate()).isEqualTo(1);
            }
        } finally {
            first.close();
        }

        String newKeys = "k2:" + TestServers.newEncryptionKey() + "," + TestServers.ENCRYPTION_KEYS;
        try (RunningApi rotated = RunningApi.alongside(first, Map.of("triggers.encryption-keys", newKeys,
                "triggers.delivery.allow-private-targets", "true"))) {
            assertThat(storedSecrets(rotated)).hasSize(3).allSatisfy(value -> assertThat(value).startsWith("enc1:k2:"));
            assertThat(secretOf(rotated, key, id)).isEqualTo(secret);
            assertThat(secretOf(rotated, key, legacyId)).isEqualTo(legacySecret);
            assertThat(rotated.queryText("SELECT headers FROM endpoints WHERE id = ?::uuid", id)).startsWith("enc1:k2:");
        }
        // Every secret is under k2 now: the old key is no longer needed.
        try (RunningApi onlyNew = RunningApi.alongside(first, Map.of("triggers.encryption-keys", newKeys.substring(0, newKeys.indexOf(',')),
                "triggers.delivery.allow-private-targets", "true"))) {
            assertThat(secretOf(onlyNew, key, id)).isEqualTo(secret);
            assertThat(secretOf(onlyNew, key, legacyId)).isEqualTo(legacySecret);
            assertThat(onlyNew.send("GET", "/v1/endpoints/" + id, key, null, Map.of()).json().get("headers").get("Authorization").stringValue())
                    .isEqualTo("****me-1");
        }
    }

    @Test
    void theApiRefusesToStartWithoutKeysAndSaysHowToMakeOne() {
        assertThatThrownBy(() -> RunningApi.start(Map.of("triggers.encryption-keys", "")).close())
                .hasRootCauseInstanceOf(MissingEncryptionKeys.class)
                .rootCause().hasMessageContaining("TRIGGERS_ENCRYPTION_KEYS is not set").hasMessageContaining("openssl rand -base64 32");
        assertThatThrownBy(() -> RunningApi.start(Map.of("triggers.encryption-keys", "k1:tooshort")).close())
                .hasRootCauseInstanceOf(MissingEncryptionKeys.class);
    }

    private static JsonNode newEndpoint(RunningApi api, String key) {
        RunningApi.Answer created = api.send("POST", "/v1/endpoints", key, "{\"url\":\"http://127.0.0.1:9/hook-" + UUID.randomUUID() + "\"}", Map.of());
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        return created.json();
    }

    private static String secretOf(RunningApi api, String key, String id) {
        return api.send("GET", "/v1/endpoints/" + id + "/secret", key, null, Map.of()).json().get("secret").stringValue();
    }

    /** Every stored secret value, current and previous. */
    private static List<String> storedSecrets(RunningApi api) throws Exception {
        List<String> values = new ArrayList<>();
        try (Connection db = api.jdbc(); PreparedStatement query = db.prepareStatement("SELECT secret, previous_secret FROM endpoints");
             ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                values.add(rows.getString(1));
                if (rows.getString(2) != null) {
                    values.add(rows.getString(2));
                }
            }
        }
        return values;
    }
}
