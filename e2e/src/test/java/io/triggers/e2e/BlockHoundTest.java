package io.triggers.e2e;

import io.triggers.testing.BlockHoundExtension;
import org.junit.jupiter.api.Test;

/** The end-to-end tests (api and worker in the test JVM) run under BlockHound: a blocking call on a non-blocking thread fails them. */
class BlockHoundTest {

    @Test
    void aBlockingCallOnANonBlockingThreadIsCaughtAndRecorded() {
        BlockHoundExtension.assertBlockingCallsAreCaught();
    }
}
