package io.triggers.shared.webhooks;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Which addresses a webhook may never be sent to (unless private targets are explicitly allowed):
 * loopback, private (RFC 1918, IPv6 unique-local), link-local (which holds the cloud metadata
 * address 169.254.169.254), carrier-grade NAT, unspecified, multicast and broadcast. Checked when
 * an endpoint is saved and again on the address actually connected to, so DNS rebinding cannot
 * reach them.
 */
public final class TargetAddresses {

    private TargetAddresses() {
    }

    /** Whether {@code address} is one a webhook must not be sent to. */
    public static boolean isForbidden(InetAddress address) {
        if (address.isLoopbackAddress() || address.isSiteLocalAddress() || address.isLinkLocalAddress()
                || address.isAnyLocalAddress() || address.isMulticastAddress()) {
            return true;
        }
        byte[] bytes = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = bytes[0] & 0xFF;
            int second = bytes[1] & 0xFF;
            return first == 0                                   // 0.0.0.0/8 "this network"
                    || (first == 100 && second >= 64 && second <= 127) // 100.64.0.0/10 carrier-grade NAT
                    || (first == 192 && second == 0 && (bytes[2] & 0xFF) == 0) // 192.0.0.0/24 protocol assignments
                    || first >= 240;                            // reserved and broadcast
        }
        if (address instanceof Inet6Address) {
            if ((bytes[0] & 0xFE) == 0xFC) {                    // fc00::/7 unique local (includes fd00:ec2::254)
                return true;
            }
            if (isIpv4Mapped(bytes)) {
                try {
                    return isForbidden(InetAddress.getByAddress(new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]}));
                } catch (java.net.UnknownHostException e) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isIpv4Mapped(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return (bytes[10] & 0xFF) == 0xFF && (bytes[11] & 0xFF) == 0xFF;
    }
}
