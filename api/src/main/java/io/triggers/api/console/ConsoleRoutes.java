package io.triggers.api.console;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.config.ResourceHandlerRegistry;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.webjars.WebJarVersionLocator;
import reactor.core.publisher.Mono;

/**
 * Serves the console (issue 20): a static page and its script and style from
 * {@code classpath:/console/}, and the uPlot chart library from its WebJar under
 * {@code /console/vendor/uplot/}, all from the api's own origin so that the console's
 * Content-Security-Policy ({@link ConsoleHeaders}) can forbid every other one.
 *
 * <p>The console is a client of the public {@code /v1} API and nothing else: it has no route of
 * its own besides these files, and its files need no key ({@code /console} is not a {@code /v1}
 * path, see {@code AccessRules}); the page asks for the key and sends it with each call it makes.
 */
@Configuration(proxyBeanMethods = false)
class ConsoleRoutes implements WebFluxConfigurer {

    static final String SEGMENT = "console";
    private static final String UPLOT = "uplot";
    private static final CacheControl REVALIDATE = CacheControl.noCache();

    @Bean
    RouterFunction<ServerResponse> consolePage() throws IOException {
        // Read once at start-up, not from the jar on an event loop for each request.
        byte[] page;
        try (InputStream in = new ClassPathResource("console/index.html").getInputStream()) {
            page = in.readAllBytes();
        }
        MediaType html = new MediaType(MediaType.TEXT_HTML, StandardCharsets.UTF_8);
        // Both spellings answer the page itself (no redirect); the page names its files by absolute path.
        return RouterFunctions.route(GET("/console").or(GET("/console/")), request -> ServerResponse.ok()
                .contentType(html)
                .cacheControl(REVALIDATE)
                .contentLength(page.length)
                .body(BodyInserters.fromDataBuffers(Mono.fromSupplier(() -> DefaultDataBufferFactory.sharedInstance.wrap(page)))));
    }

    @Override
    public void addResourceHandlers(ResourceHandlerRegistry registry) {
        String version = new WebJarVersionLocator().version(UPLOT);
        if (version == null) {
            throw new IllegalStateException("the uplot WebJar is missing from the class path");
        }
        registry.addResourceHandler("/console/vendor/uplot/**")
                .addResourceLocations("classpath:/META-INF/resources/webjars/uplot/" + version + "/dist/")
                .setCacheControl(REVALIDATE);
        registry.addResourceHandler("/console/**")
                .addResourceLocations("classpath:/console/")
                .setCacheControl(REVALIDATE);
    }
}
