package io.triggers.api.endpoints;

import io.triggers.api.web.ApiException;
import io.triggers.shared.config.DeliveryProperties;
import io.triggers.shared.webhooks.RefusedTarget;
import io.triggers.shared.webhooks.TargetResolverGroup;
import java.time.Duration;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Refuses, when an endpoint is saved, a URL whose host is or resolves to an address a webhook must
 * not be sent to (unless private targets are allowed). DNS is asked without blocking, on the api's
 * own event loops. A host that does not resolve now (or not in time) is accepted: the worker judges
 * the address it actually connects to at every delivery.
 */
@Component
final class EndpointTargets implements DisposableBean {

    private final TargetResolverGroup resolvers;
    private final boolean allowPrivate;
    private final Duration lookupTimeout;

    EndpointTargets(DeliveryProperties delivery, ReactorResourceFactory netty) {
        this.resolvers = TargetResolverGroup.create(delivery, netty.getLoopResources());
        this.allowPrivate = delivery.allowPrivateTargets();
        // A and AAAA are asked at once; waiting longer than one query's timeout would bring the
        // request close to its own deadline (triggers.api.request-timeout) for an answer that is not needed.
        this.lookupTimeout = delivery.dnsQueryTimeout();
    }

    /** Empty when {@code host} may be saved; a 400 when it is refused. */
    Mono<Void> refuseForbidden(String host) {
        if (host == null || allowPrivate) {
            return Mono.empty();
        }
        return resolvers.lookUp(host)
                .timeout(lookupTimeout)
                .then()
                .onErrorResume(failure -> failure instanceof RefusedTarget
                        ? Mono.error(ApiException.validation("url", "private_target_not_allowed",
                                "url must point at a public address: " + failure.getMessage().substring("refused: ".length())))
                        : Mono.empty());
    }

    @Override
    public void destroy() {
        resolvers.close();
    }
}
