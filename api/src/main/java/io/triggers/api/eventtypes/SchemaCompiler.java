package io.triggers.api.eventtypes;

import com.networknt.schema.Error;
import com.networknt.schema.ExecutionConfig;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.ValidationLimitExceededException;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.path.PathType;
import com.networknt.schema.resource.SchemaLoader;
import io.triggers.api.web.ApiException;
import io.triggers.api.web.FieldIssue;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Turns an organization's JSON Schema into an {@link EventSchema}, or refuses it with a {@code 400}.
 * The schema is the organization's, the service's threads and network are not, so:
 * <ul>
 * <li>nothing is ever fetched: the validator's loader fetches no remote resource, and may load only
 * the 2020-12 meta-schemas it ships (from its own jar), whatever a schema's {@code $id},
 * {@code $schema} or references say; before that, a schema that refers to anything but its own
 * parts ({@code $ref} or {@code $dynamicRef} not starting with {@code #}), or names a dialect other
 * than 2020-12 in {@code $schema}, is refused outright;</li>
 * <li>each schema is compiled in a registry of its own, so no schema's {@code $id} can stand in for
 * another organization's document;</li>
 * <li>one validation takes at most {@value #MAX_EVALUATION_STEPS} steps and {@value #MAX_EVALUATION_DEPTH}
 * levels of evaluation (a schema that refers to itself without descending into the payload would
 * otherwise recurse until the stack overflows), and patterns are bounded ({@link BoundedRegularExpressions});</li>
 * <li>unknown keywords are ignored, as the specification asks, without the validator's default of
 * remembering (and logging) each new one for the life of the process.</li>
 * </ul>
 * Compiling reads the meta-schemas and may take milliseconds: callers do it off the event loops.
 */
@Component
public final class SchemaCompiler {

    /** The dialect schemas are written in; {@code $schema} may name it, and nothing else. */
    static final String DIALECT = "https://json-schema.org/draft/2020-12/schema";
    static final long MAX_EVALUATION_STEPS = 1_000_000;
    static final int MAX_EVALUATION_DEPTH = 1_000;
    private static final String META_SCHEMAS = "https://json-schema.org/draft/2020-12/";
    private static final List<JsonNode> PROBES = List.of(JsonNodeFactory.instance.nullNode(), JsonNodeFactory.instance.booleanNode(true),
            JsonNodeFactory.instance.numberNode(0), JsonNodeFactory.instance.stringNode(""), JsonNodeFactory.instance.objectNode(),
            JsonNodeFactory.instance.arrayNode());

    private final SchemaLoader loader;
    private final Dialect dialect;
    private final SchemaRegistryConfig config;
    private final Schema metaSchema;

    public SchemaCompiler() {
        this.loader = SchemaLoader.builder()
                .fetchRemoteResources(false)
                .allow(iri -> iri.toString().startsWith(META_SCHEMAS))
                .build();
        this.dialect = Dialect.builder(Dialects.getDraft202012()).unknownKeywordFactory((keyword, context) -> null).build();
        ExecutionConfig execution = ExecutionConfig.builder()
                .locale(Locale.ROOT)
                .maxEvaluationSteps(MAX_EVALUATION_STEPS)
                .maxEvaluationDepth(MAX_EVALUATION_DEPTH)
                .build();
        this.config = SchemaRegistryConfig.builder()
                .pathType(PathType.JSON_POINTER)
                // ROOT: the messages of the validator's own bundle, whatever the host's locale.
                .locale(Locale.ROOT)
                .regularExpressionFactory(BoundedRegularExpressions.INSTANCE)
                .executionContextCustomizer((context, schemaContext) -> context.setExecutionConfig(execution))
                .build();
        SchemaRegistry metaRegistry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
                builder -> builder.schemaLoader(loader).schemaRegistryConfig(config));
        this.metaSchema = metaRegistry.getSchema(SchemaLocation.of(DIALECT));
        this.metaSchema.initializeValidators();
        warmUp();
    }

    /**
     * Reads the validator's message bundle now, on the thread that starts the application: the first
     * message it formats would otherwise read it from the jar on an event loop.
     */
    private void warmUp() {
        EventSchema probe = compile(JsonNodeFactory.instance.objectNode().put("type", "integer"));
        probe.check("warm-up", JsonNodeFactory.instance.stringNode("x"));
    }

    /** The compiled schema, or a {@code 400} naming field {@code schema} and what is wrong with it. */
    public EventSchema compile(JsonNode schema) {
        if (!schema.isObject() && !schema.isBoolean()) {
            throw refused("invalid_type", "schema must be a JSON Schema: an object or a boolean");
        }
        checkReferences(schema, "");
        List<Error> violations;
        try {
            violations = metaSchema.validate(schema);
        } catch (ValidationLimitExceededException e) {
            throw refused("invalid_schema", "schema is too complex to check against the JSON Schema 2020-12 meta-schema");
        }
        if (!violations.isEmpty()) {
            Error first = violations.get(0);
            throw refused("invalid_schema", "schema is not a valid JSON Schema 2020-12: at " + pointer(first) + ": " + first.getMessage());
        }
        Schema compiled;
        try {
            compiled = SchemaRegistry.withDefaultDialect(dialect, builder -> builder.schemaLoader(loader).schemaRegistryConfig(config))
                    .getSchema(schema);
            compiled.initializeValidators();
        } catch (RuntimeException | StackOverflowError e) {
            throw refused("invalid_schema", "schema cannot be compiled: " + reason(e));
        }
        for (JsonNode probe : PROBES) {
            try {
                compiled.validate(probe);
            } catch (ValidationLimitExceededException e) {
                throw refused("invalid_schema", "schema refers to itself without end: checking " + probe
                        + " against it does not finish within " + MAX_EVALUATION_DEPTH + " levels of evaluation");
            }
        }
        return new EventSchema(compiled);
    }

    /** Refuses references outside the schema and dialects other than 2020-12, anywhere in the document. */
    private static void checkReferences(JsonNode node, String at) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> property : node.properties()) {
                String name = property.getKey();
                JsonNode value = property.getValue();
                String where = at + "/" + EventSchema.escape(name);
                if (value.isString() && (name.equals("$ref") || name.equals("$dynamicRef")) && !value.stringValue().startsWith("#")) {
                    throw refused("external_reference", "schema may refer only to its own parts (" + name + " starting with #); "
                            + name + " at " + where + " refers elsewhere");
                }
                if (value.isString() && name.equals("$schema") && !value.stringValue().equals(DIALECT)
                        && !value.stringValue().equals(DIALECT + "#")) {
                    throw refused("unsupported_dialect", "schema must be JSON Schema 2020-12: $schema at " + where
                            + " may only be " + DIALECT);
                }
                checkReferences(value, where);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                checkReferences(node.get(i), at + "/" + i);
            }
        }
    }

    private static String pointer(Error error) {
        String location = error.getInstanceLocation().toString();
        return location.isEmpty() ? "the root" : location;
    }

    /** The first line of the innermost message: what the validator found, without class names. */
    private static String reason(Throwable e) {
        if (e instanceof StackOverflowError) {
            return "it nests too deeply";
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end);
    }

    private static ApiException refused(String issue, String message) {
        return ApiException.validation(message, List.of(new FieldIssue("schema", issue)));
    }
}
