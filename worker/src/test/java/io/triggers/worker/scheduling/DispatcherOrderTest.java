package io.triggers.worker.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which shard the dispatcher asks first when slots come free: the least served one. */
class DispatcherOrderTest {

    @Test
    void theShardWithTheFewestDeliveriesInFlightIsAskedFirstWhateverTheTurn() {
        int[] inFlight = {0, 0, 0, 0};
        inFlight[1] = 120; // a backlog's shard holding nearly every slot
        inFlight[3] = 2;   // a quiet organization's shard
        int[] order = new int[4];
        int[] load = new int[4];

        for (int first = 0; first < 4; first++) {
            Dispatcher.orderByLoad(first, order.length, shard -> inFlight[shard], order, load);
            assertThat(order[3]).as("turn starting at %d", first).isEqualTo(1);
            assertThat(order[2]).as("turn starting at %d", first).isEqualTo(3);
        }
    }

    @Test
    void equallyLoadedShardsTakeTurns() {
        int[] order = new int[4];
        int[] load = new int[4];

        Dispatcher.orderByLoad(2, order.length, shard -> 5, order, load);

        assertThat(order).containsExactly(2, 3, 0, 1);
    }

    @Test
    void tiesKeepTheTurnOrderAmongThemselves() {
        int[] inFlight = {3, 1, 3, 1};
        int[] order = new int[4];
        int[] load = new int[4];

        Dispatcher.orderByLoad(2, order.length, shard -> inFlight[shard], order, load);

        assertThat(order).containsExactly(3, 1, 2, 0);
    }
}
