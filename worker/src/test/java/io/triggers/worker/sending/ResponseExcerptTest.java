package io.triggers.worker.sending;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** What is read of a receiver's answer, counted in the bytes the body publisher had to produce. */
class ResponseExcerptTest {

    private static final int CHUNK = 8 * 1024;
    private final List<ByteBuf> made = new CopyOnWriteArrayList<>();

    private ByteBuf chunk(byte[] bytes) {
        ByteBuf buffer = Unpooled.wrappedBuffer(bytes);
        made.add(buffer);
        return buffer;
    }

    @Test
    void anEndlessBodyIsReadTo64KibAndThenCancelled() {
        long hundredMib = 100L * 1024 * 1024;
        AtomicLong produced = new AtomicLong();
        AtomicBoolean cancelled = new AtomicBoolean();
        byte[] text = "x".repeat(CHUNK).getBytes(StandardCharsets.US_ASCII);
        Flux<ByteBuf> body = Flux.<ByteBuf>generate(sink -> {
            if (produced.get() >= hundredMib) {
                sink.complete();
                return;
            }
            produced.addAndGet(CHUNK);
            sink.next(chunk(text));
        }).doOnCancel(() -> cancelled.set(true));

        String excerpt = ResponseExcerpt.read(body).block(Duration.ofSeconds(10));

        assertThat(produced.get()).isLessThanOrEqualTo(ResponseExcerpt.READ_BYTES).isGreaterThanOrEqualTo(ResponseExcerpt.READ_BYTES - CHUNK);
        assertThat(cancelled).isTrue();
        assertThat(excerpt).hasSize(ResponseExcerpt.KEPT_BYTES).isEqualTo("x".repeat(ResponseExcerpt.KEPT_BYTES));
        // The buffers stay their publisher's (Reactor Netty releases each after handing it on), unread.
        assertThat(made).allMatch(buffer -> buffer.refCnt() == 1 && buffer.readerIndex() == 0);
    }

    @Test
    void aShortBodyIsKeptWhole() {
        assertThat(ResponseExcerpt.read(Flux.just(chunk("{\"ok\":".getBytes(StandardCharsets.UTF_8)), chunk("true}".getBytes(StandardCharsets.UTF_8))))
                .block(Duration.ofSeconds(1))).isEqualTo("{\"ok\":true}");
        assertThat(ResponseExcerpt.read(Flux.empty()).block(Duration.ofSeconds(1))).isEmpty();
        // The buffers stay their publisher's (Reactor Netty releases each after handing it on), unread.
        assertThat(made).allMatch(buffer -> buffer.refCnt() == 1 && buffer.readerIndex() == 0);
    }

    @Test
    void theExcerptIsAtMostAKibOfValidTextWithoutNuls() {
        // 1023 bytes of ASCII, then a 3-byte character cut by the 1 KiB boundary, and a NUL.
        String body = "\u0000" + "a".repeat(1022) + "\u20ac" + "tail";
        String excerpt = ResponseExcerpt.read(Flux.just(chunk(body.getBytes(StandardCharsets.UTF_8)))).block(Duration.ofSeconds(1));
        assertThat(excerpt).isEqualTo("a".repeat(1022));
        assertThat(excerpt.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(ResponseExcerpt.KEPT_BYTES);
    }
}
