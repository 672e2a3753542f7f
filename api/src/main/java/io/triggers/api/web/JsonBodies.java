package io.triggers.api.web;

import io.triggers.api.events.IngestProperties;
import java.io.InputStream;
import java.util.List;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a JSON object request body within a size limit: a declared or streamed size over the limit
 * is refused as soon as it is known (nothing past the limit is buffered), a non-JSON content type
 * is a 415, and malformed JSON a 400, as is JSON past the parser's limits: nesting deeper than
 * {@value #MAX_DEPTH} levels (the body object is the first), or a number longer than
 * {@value #MAX_NUMBER_LENGTH} characters.
 */
@Component
public final class JsonBodies {

    /** Deepest nesting of objects and arrays in a body, the body object counted: no event needs more. */
    public static final int MAX_DEPTH = 64;
    /**
     * Longest number, in characters (Jackson's default, set here on purpose): turning a longer one
     * into a BigDecimal costs time that grows faster than its length, on an event loop.
     */
    public static final int MAX_NUMBER_LENGTH = 1000;

    private final ObjectReader reader;

    public JsonBodies(IngestProperties ingest) {
        // Every other limit is what the largest body allows anyway (no string, name, document or
        // token count can outgrow the bytes it is made of), stated so that none of Jackson's
        // defaults decides for us.
        long largest = ingest.largestBody();
        int largestText = (int) Math.min(largest, Integer.MAX_VALUE);
        StreamReadConstraints limits = StreamReadConstraints.builder()
                .maxNestingDepth(MAX_DEPTH)
                .maxNumberLength(MAX_NUMBER_LENGTH)
                .maxDocumentLength(largest)
                .maxTokenCount(largest)
                .maxStringLength(largestText)
                .maxNameLength(largestText)
                .build();
        JsonMapper json = JsonMapper.builder(JsonFactory.builder().streamReadConstraints(limits).build()).build();
        // Duplicate keys and trailing data are errors, not silently resolved; floats keep their
        // exact value (a double would turn 1e400 into Infinity, which is not JSON).
        this.reader = json.reader()
                .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS, DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** The body parsed as a JSON object, or an {@link ApiException}. */
    public Mono<JsonNode> readObject(ServerHttpRequest request, long maxBytes) {
        return readObject(request, maxBytes, null);
    }

    /**
     * The body parsed as a JSON object on {@code parseOn} (read where its bytes arrive, parsed there
     * when null), or an {@link ApiException}.
     */
    public Mono<JsonNode> readObject(ServerHttpRequest request, long maxBytes, Scheduler parseOn) {
        MediaType contentType = request.getHeaders().getContentType();
        if (contentType == null || !isJson(contentType)) {
            return Mono.error(ApiException.unsupportedMediaType("Content-Type must be application/json"));
        }
        long declared = request.getHeaders().getContentLength();
        if (declared > maxBytes) {
            return Mono.error(ApiException.payloadTooLarge(maxBytes));
        }
        Mono<DataBuffer> body = joinWithin(request.getBody(), maxBytes)
                .switchIfEmpty(Mono.error(() -> ApiException.malformedJson("request body is required")));
        return (parseOn == null ? body : body.publishOn(parseOn)).map(this::parse);
    }

    /**
     * The body's bytes joined, or a {@code 413} when there are more than {@code maxBytes}: then the
     * rest of the body (to {@link UnreadBodies#MAX_DISCARDED_BYTES}) is read and dropped first, so
     * that the answer reaches the caller (see {@link UnreadBodies}).
     */
    private static Mono<DataBuffer> joinWithin(Flux<DataBuffer> raw, long maxBytes) {
        return Mono.defer(() -> {
            long[] seen = {0};
            // handle, not filter: a filter's dropped elements go to join's discard hook as well,
            // which released them a second time.
            Flux<DataBuffer> kept = raw.handle((buffer, sink) -> {
                seen[0] += buffer.readableByteCount();
                if (seen[0] <= maxBytes) {
                    sink.next(buffer);
                    return;
                }
                DataBufferUtils.release(buffer);
                if (seen[0] > maxBytes + UnreadBodies.MAX_DISCARDED_BYTES) {
                    sink.error(ApiException.payloadTooLarge(maxBytes));
                }
            });
            return DataBufferUtils.join(kept).flatMap(joined -> {
                if (seen[0] > maxBytes) {
                    DataBufferUtils.release(joined);
                    return Mono.error(ApiException.payloadTooLarge(maxBytes));
                }
                return Mono.just(joined);
            });
        });
    }

    /** The body as a JSON object, or an empty object when the request has no body at all. */
    public Mono<JsonNode> readOptionalObject(ServerHttpRequest request, long maxBytes) {
        boolean hasBody = request.getHeaders().getContentLength() > 0 || request.getHeaders().containsHeader("Transfer-Encoding");
        return hasBody ? readObject(request, maxBytes) : Mono.just(JsonNodeFactory.instance.objectNode());
    }

    private JsonNode parse(DataBuffer buffer) {
        try (InputStream in = buffer.asInputStream(true)) {
            JsonNode node = reader.readTree(in);
            if (node == null || node.isMissingNode()) {
                throw ApiException.malformedJson("request body is required");
            }
            if (!node.isObject()) {
                throw ApiException.malformedJson("request body must be a JSON object");
            }
            return node;
        } catch (StreamConstraintsException e) {
            throw ApiException.validation("request body is beyond this API's JSON limits (at most " + MAX_DEPTH
                    + " levels of nesting, numbers of at most " + MAX_NUMBER_LENGTH + " characters)",
                    List.of(new FieldIssue("body", "too_complex")));
        } catch (JacksonException e) {
            throw ApiException.malformedJson("request body is not valid JSON");
        } catch (java.io.IOException e) {
            throw ApiException.malformedJson("request body could not be read");
        }
    }

    private static boolean isJson(MediaType type) {
        return MediaType.APPLICATION_JSON.isCompatibleWith(type)
                || ("application".equals(type.getType()) && type.getSubtype().endsWith("+json"));
    }
}
