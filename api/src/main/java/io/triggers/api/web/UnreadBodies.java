package io.triggers.api.web;

import java.time.Duration;
import org.springframework.boot.webflux.autoconfigure.WebHttpHandlerBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An answer given before its request's body was read (a {@code 401}, a {@code 429}, a {@code 413}
 * for a declared length over the limit, a {@code 404}) reaches the caller: the rest of the body is
 * read and dropped before the answer is written. When the connection is closed after the answer
 * (a client that sends {@code Connection: close}, as many do), closing with bytes unread made the
 * kernel answer them with a TCP reset, which could overtake the answer: the client saw "connection
 * reset" or an empty reply instead of the status that says what to fix (81 of 2 000 requests of
 * 256 KiB + 1 byte did, 413s and 401s, on loopback with Java's HttpClient; none since). Reactor
 * Netty closes as soon as such an answer is written, so the bytes are read before it, not after
 * (nginx's "lingering close" reads after, which this server cannot).
 *
 * <p>Bounds: at most {@link #MAX_DISCARDED_BYTES} and {@link #MAX_DISCARD_TIME} are spent on a body
 * that is not wanted; a request that declares more is answered at once, as before (its client may
 * then see a reset), and so is one sent with {@code Expect: 100-continue} (its client sends no
 * body after an early answer). A body {@link JsonBodies} stops reading at its limit is dropped
 * there the same way, bounded by the server's body timeouts ({@link BodyTimeouts}).
 */
@Configuration(proxyBeanMethods = false)
public class UnreadBodies {

    /** The most bytes of an unwanted request body read only to be dropped: above the largest accepted body (5 MiB, a batch). */
    public static final long MAX_DISCARDED_BYTES = 8L * 1024 * 1024;

    /** The longest an answer waits for the unwanted rest of its request's body. */
    static final Duration MAX_DISCARD_TIME = Duration.ofSeconds(5);

    @Bean
    WebHttpHandlerBuilderCustomizer unreadBodiesAreDropped() {
        return builder -> builder.httpHandlerDecorator(Handler::new);
    }

    /** Spring's handler, with every request that may carry a body watched for whether it was read. */
    public record Handler(HttpHandler delegate) implements HttpHandler {

        @Override
        public Mono<Void> handle(ServerHttpRequest request, ServerHttpResponse response) {
            if (!mayLeaveBytesUnread(request.getHeaders())) {
                return delegate.handle(request, response);
            }
            Watched watched = new Watched(request);
            response.beforeCommit(() -> watched.read ? Mono.empty()
                    : discard(request.getBody(), MAX_DISCARDED_BYTES).timeout(MAX_DISCARD_TIME, Mono.empty()));
            return delegate.handle(watched, response);
        }
    }

    private static boolean mayLeaveBytesUnread(HttpHeaders headers) {
        long declared = headers.getContentLength();
        boolean hasBody = declared > 0 || (declared < 0 && headers.containsHeader(HttpHeaders.TRANSFER_ENCODING));
        return hasBody && declared <= MAX_DISCARDED_BYTES && !"100-continue".equalsIgnoreCase(headers.getFirst(HttpHeaders.EXPECT));
    }

    /**
     * Reads {@code body} to its end and drops it, or stops after {@code max} bytes; never fails (a
     * caller that went away has nothing left to be answered).
     */
    static Mono<Void> discard(Flux<DataBuffer> body, long max) {
        return Mono.defer(() -> {
            long[] seen = {0};
            return body.<DataBuffer>handle((buffer, sink) -> {
                seen[0] += buffer.readableByteCount();
                DataBufferUtils.release(buffer);
                if (seen[0] > max) {
                    sink.complete();
                }
            }).then().onErrorComplete();
        });
    }

    /** The request, noting whether anything subscribed to its body. */
    private static final class Watched extends ServerHttpRequestDecorator {

        private volatile boolean read;

        Watched(ServerHttpRequest delegate) {
            super(delegate);
        }

        @Override
        public Flux<DataBuffer> getBody() {
            return super.getBody().doOnSubscribe(subscription -> read = true);
        }
    }
}
