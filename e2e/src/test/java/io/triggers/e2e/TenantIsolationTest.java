package io.triggers.e2e;

import java.util.Map;

/** {@link TenantIsolationTests} with both apps on the standalone test Redis (as every other end-to-end test). */
class TenantIsolationTest extends TenantIsolationTests {

    @Override
    RunningService.Builder service(Map<String, String> settings) {
        return RunningService.with(settings);
    }
}
