package io.triggers.worker.sending;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;

/**
 * This application's own Reactor Netty event loops and connection pool. With Boot's default
 * (Reactor Netty's global resources), closing one application disposes the loops of every other
 * application in the same JVM, as when tests run api and worker side by side and stop one.
 */
@Configuration(proxyBeanMethods = false)
class NettyResources {

    @Bean
    ReactorResourceFactory reactorResourceFactory() {
        ReactorResourceFactory factory = new ReactorResourceFactory();
        factory.setUseGlobalResources(false);
        return factory;
    }
}
