package io.triggers.api.organizations;

import io.triggers.api.auth.Tenant;
import java.util.UUID;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /v1/me}: the organization the presented key belongs to. */
@RestController
public final class MeController {

    public record Me(UUID organizationId, String name, String tier, int rateLimitPerMinute) {
    }

    @GetMapping("/v1/me")
    public Me me(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant) {
        return new Me(tenant.organizationId(), tenant.name(), tenant.tier(),
                Tiers.effectiveLimit(tenant.tier(), tenant.rateLimitPerMinute()));
    }
}
