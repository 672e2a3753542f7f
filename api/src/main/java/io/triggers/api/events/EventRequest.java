package io.triggers.api.events;

import io.triggers.api.web.RequestFields;
import io.triggers.api.web.StorableJson;
import io.triggers.shared.events.OperationalEvents;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One event as a producer submits it, validated against the contract.
 *
 * @param eventType      1–128 chars of {@code [A-Za-z0-9._:-]}
 * @param source         optional, at most 128 chars
 * @param payload        any JSON value but null
 * @param metadata       an object (empty when absent); {@code priority} is low, normal or high
 * @param idempotencyKey the {@code Idempotency-Key} header or else {@code dedup_id}; may be null
 */
public record EventRequest(String eventType, String source, JsonNode payload, ObjectNode metadata, String idempotencyKey) {

    /** What an event type may be (also for endpoint test events). */
    public static final Pattern EVENT_TYPE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    /** The prefix of the service's own event types (operational events), in any case: producers may not use it. */
    public static final String RESERVED_PREFIX = OperationalEvents.PREFIX;
    static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x20-\\x7E]{1,255}");
    private static final Pattern PRIORITY = Pattern.compile("low|normal|high");
    static final Set<String> FIELDS = Set.of("event_type", "source", "payload", "metadata", "dedup_id");
    static final Set<String> BATCH_ITEM_FIELDS = Set.of("event_type", "source", "payload", "metadata", "dedup_id",
            "idempotency_key");

    /**
     * Validates one event object. Every problem lands on {@code fields}' list; the result is null
     * when there was any.
     */
    static EventRequest parse(RequestFields fields, String idempotencyHeader) {
        String eventType = fields.string("event_type", true, 128, EVENT_TYPE);
        if (OperationalEvents.isOperational(eventType)) {
            fields.problem("event_type", "reserved", "event types starting with \"" + RESERVED_PREFIX
                    + "\" are the service's own (operational events); choose another name");
        }
        String source = fields.string("source", false, 128, null);
        JsonNode payload = fields.raw("payload");
        if (payload == null || payload.isNull()) {
            fields.problem("payload", "required", "payload is required and must not be null");
        } else {
            StorableJson.check(payload, "payload", fields);
        }
        StorableJson.checkText(source, "source", fields);
        ObjectNode metadata = null;
        JsonNode rawMetadata = fields.raw("metadata");
        if (rawMetadata == null || rawMetadata.isNull()) {
            metadata = tools.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        } else if (!rawMetadata.isObject()) {
            fields.problem("metadata", "invalid_type", "metadata must be an object");
        } else {
            metadata = (ObjectNode) rawMetadata;
            JsonNode priority = metadata.get("priority");
            if (priority != null && !(priority.isString() && PRIORITY.matcher(priority.stringValue()).matches())) {
                fields.problem("metadata.priority", "invalid_value", "metadata.priority must be one of low, normal, high");
            }
            StorableJson.check(metadata, "metadata", fields);
        }
        String dedupId = fields.string("dedup_id", false, 255, IDEMPOTENCY_KEY);
        String key = idempotencyHeader != null ? idempotencyHeader : dedupId;
        return fields.valid() ? new EventRequest(eventType, source, payload, metadata, key) : null;
    }

    /**
     * What identifies a request for idempotency: SHA-256 over what is stored (type, source, and
     * payload and metadata as normalized JSON), so insignificant whitespace does not count.
     */
    static byte[] fingerprint(String eventType, String source, String payloadJson, String metadataJson) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {eventType, source, payloadJson, metadataJson}) {
                // A presence byte and the length keep (null, "") and shifted boundaries apart.
                byte[] bytes = part == null ? new byte[0] : part.getBytes(StandardCharsets.UTF_8);
                digest.update((byte) (part == null ? 0 : 1));
                digest.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
                digest.update(bytes);
            }
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
