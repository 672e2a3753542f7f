package io.triggers.api.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.PathContainer.PathSegment;

/**
 * Who may call what, decided on the path as the router sees it: the decoded segments without
 * their {@code ;} parameters ({@link PathSegment#valueToMatch()}, what a {@code PathPattern}
 * matches), never the raw text. Deciding on the raw text while routing on the decoded segments
 * is how {@code /v1;x/organizations} and {@code /%761/organizations} reached operator handlers
 * without the admin token.
 *
 * <p>Spellings the router would read differently from their text are refused on every path,
 * whatever route they name: {@code ;} path parameters (the router drops them), encoded {@code /},
 * {@code .} or {@code %} (it decodes them inside one segment), {@code .} and {@code ..} segments
 * and empty segments ({@code //}) (it matches them literally, where proxies and other servers
 * resolve or collapse them). No client of this API needs any of them. Other percent-encoded
 * characters are decoded and judged like their plain spelling.
 *
 * <p>Of the rest, a path whose first segment is {@code v1} in any letter case is ours:
 * {@code /v1/organizations…} (any case) is the operator's, {@code GET /v1/health} is open, and
 * every other {@code /v1} path is a tenant's. The case-blind reading of {@code v1} and
 * {@code organizations} is defence in depth: the router is case-sensitive today, and if that ever
 * changed no spelling of an operator path would fall to a weaker rule.
 */
public final class AccessRules {

    /** What a path needs. */
    public enum Access {
        /** An ambiguous spelling: answered 400 before anything else. */
        REFUSED,
        /** Open to anyone ({@code /v1/health}). */
        PUBLIC,
        /** The operator's admin token. */
        OPERATOR,
        /** An organization's API key. */
        TENANT,
        /** Not an API path (actuator, OpenAPI): not this filter's business. */
        NOT_OURS
    }

    /**
     * A decision.
     *
     * @param access  what the request needs
     * @param refusal why it is refused, for {@link Access#REFUSED}; otherwise null
     * @param ingest  whether it is an ingest call ({@code POST /v1/events}, {@code POST /v1/events/batch}),
     *                which spends the organization's ingest budget; every other tenant call spends its
     *                budget for reads and management
     */
    public record Decision(Access access, String refusal, boolean ingest) {

        static final Decision PUBLIC = new Decision(Access.PUBLIC, null, false);
        static final Decision OPERATOR = new Decision(Access.OPERATOR, null, false);
        static final Decision TENANT = new Decision(Access.TENANT, null, false);
        static final Decision INGEST = new Decision(Access.TENANT, null, true);
        static final Decision NOT_OURS = new Decision(Access.NOT_OURS, null, false);

        static Decision refused(String why) {
            return new Decision(Access.REFUSED, why, false);
        }
    }

    private AccessRules() {
    }

    /** What a request with this method and path (within the application) needs. */
    public static Decision decide(HttpMethod method, PathContainer path) {
        List<String> segments = new ArrayList<>();
        boolean afterSeparator = false;
        for (PathContainer.Element element : path.elements()) {
            if (element instanceof PathSegment segment) {
                String problem = problem(segment);
                if (problem != null) {
                    return Decision.refused(problem);
                }
                segments.add(segment.valueToMatch());
                afterSeparator = false;
            } else {
                if (afterSeparator) {
                    return Decision.refused("the path has an empty segment (//)");
                }
                afterSeparator = true;
            }
        }
        if (segments.isEmpty() || !segments.get(0).equalsIgnoreCase("v1")) {
            return Decision.NOT_OURS;
        }
        if (segments.size() >= 2 && segments.get(1).equalsIgnoreCase("organizations")) {
            return Decision.OPERATOR;
        }
        // Open only as spelt and only for reading: a spelling or method the health route does not
        // answer needs a key like any other /v1 path.
        if (segments.size() == 2 && segments.get(1).equals("health") && (method == HttpMethod.GET || method == HttpMethod.HEAD)) {
            return Decision.PUBLIC;
        }
        // As the ingest routes match them (exactly, case-sensitive, no trailing /): another spelling is routed elsewhere.
        if (method == HttpMethod.POST && !afterSeparator && segments.get(0).equals("v1") && segments.size() >= 2 && segments.size() <= 3
                && segments.get(1).equals("events") && (segments.size() == 2 || segments.get(2).equals("batch"))) {
            return Decision.INGEST;
        }
        return Decision.TENANT;
    }

    private static String problem(PathSegment segment) {
        String raw = segment.value();
        String decoded = segment.valueToMatch();
        if (raw.indexOf(';') >= 0 || decoded.indexOf(';') >= 0) {
            return "the path has ; parameters";
        }
        String lowerRaw = raw.toLowerCase(Locale.ROOT);
        if (decoded.indexOf('/') >= 0 || lowerRaw.contains("%2f")) {
            return "the path has an encoded /";
        }
        if (lowerRaw.contains("%2e")) {
            return "the path has an encoded .";
        }
        if (decoded.indexOf('%') >= 0) {
            return "the path has an encoded %";
        }
        if (decoded.equals(".") || decoded.equals("..")) {
            return "the path has a . or .. segment";
        }
        if (decoded.isEmpty()) {
            return "the path has an empty segment";
        }
        return null;
    }
}
