package io.triggers.worker.sending;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import io.netty.buffer.ByteBuf;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What is kept of a receiver's answer: its first {@link #KEPT_BYTES} bytes as text. At most
 * {@link #READ_BYTES} are read: a longer body is cancelled there, which makes Reactor Netty close
 * the connection instead of draining it back into the pool, so a receiver streaming without end
 * costs a delivery no more than that. The buffers stay their publisher's: Reactor Netty releases
 * each one once it has been handed on.
 */
public final class ResponseExcerpt {

    static final int KEPT_BYTES = 1024;
    static final int READ_BYTES = 64 * 1024;

    private ResponseExcerpt() {
    }

    /** The excerpt of {@code body} (empty text for no body), read as described above. */
    static Mono<String> read(Flux<ByteBuf> body) {
        return Mono.defer(() -> {
            ByteBuffer kept = ByteBuffer.allocate(KEPT_BYTES);
            long[] read = {0};
            return body.<ByteBuf>handle((buffer, sink) -> {
                        int length = buffer.readableBytes();
                        read[0] += length;
                        int take = Math.min(kept.remaining(), length);
                        if (take > 0) {
                            buffer.getBytes(buffer.readerIndex(), kept.array(), kept.position(), take);
                            kept.position(kept.position() + take);
                        }
                        if (read[0] >= READ_BYTES) {
                            sink.complete(); // cancels the rest of the body
                        }
                    })
                    .then(Mono.fromSupplier(() -> decode(kept)));
        });
    }

    /**
     * UTF-8 text of the kept bytes: a character cut at the end and invalid bytes are dropped and
     * NULs removed, so the text is at most {@link #KEPT_BYTES} bytes and PostgreSQL accepts it.
     */
    private static String decode(ByteBuffer kept) {
        kept.flip();
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.IGNORE)
                .onUnmappableCharacter(CodingErrorAction.IGNORE);
        CharBuffer chars = CharBuffer.allocate(KEPT_BYTES);
        decoder.decode(kept, chars, true);
        decoder.flush(chars);
        chars.flip();
        return chars.toString().replace("\u0000", "");
    }
}
