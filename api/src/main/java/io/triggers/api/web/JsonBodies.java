package io.triggers.api.web;

import java.io.InputStream;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a JSON object request body within a size limit: a declared or streamed size over the limit
 * is refused as soon as it is known (nothing past the limit is buffered), a non-JSON content type
 * is a 415, and malformed JSON a 400.
 */
@Component
public final class JsonBodies {

    private final ObjectReader reader;

    public JsonBodies(JsonMapper json) {
        // Duplicate keys and trailing data are errors, not silently resolved; floats keep their
        // exact value (a double would turn 1e400 into Infinity, which is not JSON).
        this.reader = json.reader()
                .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS, DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** The body parsed as a JSON object, or an {@link ApiException}. */
    public Mono<JsonNode> readObject(ServerHttpRequest request, long maxBytes) {
        MediaType contentType = request.getHeaders().getContentType();
        if (contentType == null || !isJson(contentType)) {
            return Mono.error(ApiException.unsupportedMediaType("Content-Type must be application/json"));
        }
        long declared = request.getHeaders().getContentLength();
        if (declared > maxBytes) {
            return Mono.error(ApiException.payloadTooLarge(maxBytes));
        }
        int limit = (int) Math.min(maxBytes, Integer.MAX_VALUE - 1);
        return DataBufferUtils.join(request.getBody(), limit)
                .onErrorMap(DataBufferLimitException.class, e -> ApiException.payloadTooLarge(maxBytes))
                .switchIfEmpty(Mono.error(() -> ApiException.malformedJson("request body is required")))
                .map(this::parse);
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
