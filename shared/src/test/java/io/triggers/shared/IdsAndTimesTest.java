package io.triggers.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.triggers.shared.ids.UuidV7;
import io.triggers.shared.stream.StreamEntry;
import io.triggers.shared.time.Timestamps;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class IdsAndTimesTest {

    @Test
    void uuidV7CarriesItsMillisecondsAndVersion() {
        UUID id = UuidV7.at(1_795_316_991_483L);
        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(UuidV7.epochMillis(id)).isEqualTo(1_795_316_991_483L);
        assertThat(UuidV7.at(1_000L).compareTo(UuidV7.at(2_000L))).isNegative();
    }

    @Test
    void timestampsAlwaysShowMilliseconds() {
        assertThat(Timestamps.format(Instant.parse("2026-11-22T10:15:30Z"))).isEqualTo("2026-11-22T10:15:30.000Z");
        assertThat(Timestamps.format(Instant.parse("2026-11-22T10:15:30.123456Z"))).isEqualTo("2026-11-22T10:15:30.123Z");
        assertThat(Timestamps.now().getNano() % 1_000_000).isZero();
    }

    @Test
    void streamEntriesRoundTripAndRejectMissingIds() {
        StreamEntry entry = new StreamEntry(UuidV7.next(), UUID.randomUUID(), "req-1");
        assertThat(StreamEntry.fromFields(entry.toFields())).isEqualTo(entry);
        assertThat(StreamEntry.fromFields(new StreamEntry(entry.eventId(), entry.organizationId(), null).toFields()).requestId()).isNull();
        assertThatThrownBy(() -> StreamEntry.fromFields(Map.of("event_id", entry.eventId().toString())))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
