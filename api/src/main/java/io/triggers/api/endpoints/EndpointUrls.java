package io.triggers.api.endpoints;

import io.triggers.api.web.RequestFields;
import io.triggers.shared.webhooks.TargetAddresses;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The contract's URL rules for webhook endpoints: {@code http} or {@code https}, a host, at most
 * 2048 characters, no credentials, and (unless private targets are allowed) no host that resolves
 * to a loopback, private, link-local or metadata address. A host that does not resolve now is
 * accepted: the worker checks the address it actually connects to at every delivery.
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
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            fields.problem("url", "invalid_format", "url must name a host");
            return null;
        }
        if (uri.getRawUserInfo() != null) {
            fields.problem("url", "credentials_not_allowed", "url must not contain credentials");
            return null;
        }
        String host = uri.getHost();
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** Whether the host resolves to a forbidden address (DNS is looked up off the event loop). */
    static Mono<Boolean> resolvesToForbidden(String host) {
        return Mono.fromCallable(() -> {
            try {
                return Arrays.stream(InetAddress.getAllByName(host)).anyMatch(TargetAddresses::isForbidden);
            } catch (UnknownHostException e) {
                return false;
            }
        }).subscribeOn(Schedulers.boundedElastic());
    }
}
