package io.triggers.api.web;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A slow client cannot hold a connection: Reactor Netty drops one whose request body pauses
 * longer than {@code triggers.api.body-read-timeout} or takes longer than
 * {@code triggers.api.body-timeout} in all (see {@link BodyTimeouts}); Boot's
 * {@code server.netty.idle-timeout} covers a connection with no request under way.
 */
@Configuration(proxyBeanMethods = false)
class SlowClients {

    @Bean
    NettyServerCustomizer bodyTimeouts(BodyTimeouts timeouts) {
        return server -> server.readTimeout(timeouts.bodyReadTimeout()).requestTimeout(timeouts.bodyTimeout());
    }
}
