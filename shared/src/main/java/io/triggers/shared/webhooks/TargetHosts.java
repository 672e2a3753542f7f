package io.triggers.shared.webhooks;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * How the host of a webhook URL is read before any address is judged, the same way by the api
 * (when an endpoint is saved) and the worker (when it connects):
 * <ul>
 * <li>brackets, letter case and one trailing dot make no difference: {@code localhost.} and
 *     {@code example.com.} are judged as {@code localhost} and {@code example.com};</li>
 * <li>an IPv4 address must be written as four decimal numbers 0–255 without leading zeros. Other
 *     numeric forms ({@code 0177.0.0.1}, {@code 0x7f.1}, {@code 127.1}, {@code 2130706433},
 *     {@code 010.0.0.1}) are read differently by different parsers (octal, hex, shortened), so what
 *     we would judge is not what another client would call: they are refused, not interpreted;</li>
 * <li>{@code localhost} and names under {@code .localhost} are loopback by definition (RFC 6761
 *     6.3) and are refused by name, whatever a hosts file or DNS server says of them.</li>
 * </ul>
 */
public final class TargetHosts {

    private TargetHosts() {
    }

    /** {@code host} without brackets, in lower case, and without one trailing dot. */
    public static String normalize(String host) {
        String name = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        name = name.toLowerCase(Locale.ROOT);
        return name.length() > 1 && name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }

    /**
     * Whether the (normalized) host looks like an IPv4 address but is not a plain dotted-decimal
     * quad. As in the WHATWG URL standard, a host whose last label is a number (decimal, or
     * {@code 0x} hex) is an IPv4 address, not a name.
     */
    public static boolean isNonCanonicalIpv4(String host) {
        if (host.indexOf(':') >= 0) {
            return false; // IPv6, whose dotted tail (::ffff:1.2.3.4) the IPv6 parser reads strictly
        }
        String[] labels = host.split("\\.", -1);
        return isNumber(labels[labels.length - 1]) && !isDottedQuad(labels);
    }

    /** The address a (normalized) host spells literally, or null when it is a name. */
    public static InetAddress literal(String host) {
        if (host.indexOf(':') < 0 && !isDottedQuad(host.split("\\.", -1))) {
            return null;
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(host);
        if (bytes == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** Whether the (normalized) host is {@code localhost} or a name under it. */
    public static boolean isLocalhost(String host) {
        return host.equals("localhost") || host.endsWith(".localhost");
    }

    private static boolean isNumber(String label) {
        if (label.startsWith("0x")) {
            return label.chars().skip(2).allMatch(c -> Character.digit(c, 16) >= 0);
        }
        return !label.isEmpty() && label.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    private static boolean isDottedQuad(String[] labels) {
        if (labels.length != 4) {
            return false;
        }
        for (String label : labels) {
            if (label.isEmpty() || label.length() > 3 || (label.length() > 1 && label.charAt(0) == '0')
                    || !label.chars().allMatch(c -> c >= '0' && c <= '9') || Integer.parseInt(label) > 255) {
                return false;
            }
        }
        return true;
    }
}
