package io.triggers.api.endpoints;

import io.triggers.api.web.RequestFields;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The contract's URL rules for webhook endpoints: {@code http} or {@code https}, a host, at most
 * 2048 characters, no credentials. (Refusing private and metadata addresses comes with the
 * delivery engine, which checks them again on the resolved address at delivery time.)
 */
final class EndpointUrls {

    static final int MAX_LENGTH = 2048;

    private EndpointUrls() {
    }

    /** Checks {@code url}, recording any problem on {@code fields}; returns the URL when it is acceptable. */
    static String check(String url, RequestFields fields) {
        if (url == null) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            fields.problem("url", "invalid_format", "url is not a valid URL");
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            fields.problem("url", "invalid_scheme", "url must use http or https");
            return null;
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            fields.problem("url", "invalid_format", "url must name a host");
            return null;
        }
        if (uri.getRawUserInfo() != null) {
            fields.problem("url", "credentials_not_allowed", "url must not contain credentials");
            return null;
        }
        return url;
    }
}
