package io.triggers.api;

import io.triggers.testing.BlockHoundExtension;
import org.junit.jupiter.api.Test;

/** The api's tests run under BlockHound: a blocking call on a non-blocking thread fails them. */
class BlockHoundTest {

    @Test
    void aBlockingCallOnANonBlockingThreadIsCaughtAndRecorded() {
        BlockHoundExtension.assertBlockingCallsAreCaught();
    }
}
