package io.triggers.api.endpoints;

import io.triggers.api.web.RequestFields;
import io.triggers.shared.webhooks.TargetHosts;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The contract's URL rules for webhook endpoints, as far as they concern the URL's text:
 * {@code http} or {@code https}, a host, at most 2048 characters, no credentials, and an IPv4
 * address only as a dotted-decimal quad ({@link TargetHosts}). Where the host points is judged by
 * {@link EndpointTargets}.
 */
final class EndpointUrls {

    static final int MAX_LENGTH = 2048;

    private EndpointUrls() {
    }

    /** Checks the URL's form, recording any problem on {@code fields}; returns its host when acceptable. */
    static String checkForm(String url, RequestFields fields) {
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
        String host = uri.getHost() != null ? uri.getHost() : authorityHost(uri.getRawAuthority());
        if (host != null && TargetHosts.isNonCanonicalIpv4(TargetHosts.normalize(host))) {
            // 0177.0.0.1, 0x7f.1, 127.1, 2130706433: each client reads these its own way.
            fields.problem("url", "invalid_ip_address",
                    "url's host must be a name, an IPv6 address in brackets, or an IPv4 address written as four decimal numbers "
                            + "0-255 without leading zeros");
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
        return host;
    }

    /** The host part of an authority {@link URI} could not read as a server (it reads 127.1 as no host at all). */
    private static String authorityHost(String authority) {
        if (authority == null) {
            return null;
        }
        String hostAndPort = authority.substring(authority.lastIndexOf('@') + 1);
        int colon = hostAndPort.lastIndexOf(':');
        return colon >= 0 && !hostAndPort.endsWith("]") ? hostAndPort.substring(0, colon) : hostAndPort;
    }
}
