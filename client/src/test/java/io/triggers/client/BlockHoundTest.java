package io.triggers.client;

import io.triggers.testing.BlockHoundExtension;
import org.junit.jupiter.api.Test;

/** The client's tests run under BlockHound too: a blocking call on a non-blocking thread fails them. */
class BlockHoundTest {

    @Test
    void aBlockingCallOnANonBlockingThreadIsCaughtAndRecorded() {
        BlockHoundExtension.assertBlockingCallsAreCaught();
    }
}
