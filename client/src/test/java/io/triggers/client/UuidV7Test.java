package io.triggers.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class UuidV7Test {

    @Test
    void carriesVersionSevenTheVariantAndTheMillisecondsFirst() {
        long millis = 1_790_000_000_123L;
        UUID id = UuidV7.at(millis);
        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(millis);
    }

    @Test
    void laterMillisecondsSortLaterAndIdsDoNotRepeat() {
        assertThat(UuidV7.at(1000).toString()).isLessThan(UuidV7.at(1001).toString());
        Set<UUID> seen = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            assertThat(seen.add(UuidV7.next())).isTrue();
        }
    }
}
