package io.triggers.shared.webhooks;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * Which addresses a webhook may be sent to: global unicast only, unless private targets are
 * explicitly allowed. Checked when an endpoint is saved and again on every address a delivery
 * connects to, so a name that later resolves elsewhere (DNS rebinding) is refused too.
 *
 * <p>The blocks are those of the IANA IPv4 and IPv6 Special-Purpose Address Registries that are not
 * globally reachable, plus multicast and the reserved 240/4. IPv6 is an allow-list: only
 * {@code 2000::/3}, the global unicast space, is ever allowed; inside it the special-purpose blocks are
 * refused. IPv4 has no such prefix to allow, so it is the registry's blocks that are refused.
 *
 * <p>IPv6 addresses that carry an IPv4 address are judged as follows:
 * <ul>
 * <li>IPv4-mapped ({@code ::ffff:0:0/96}), IPv4-compatible ({@code ::/96}) and the NAT64 well-known
 *     prefix ({@code 64:ff9b::/96}): by the embedded IPv4 address, which is where the packet ends up;</li>
 * <li>the NAT64 local-use prefix ({@code 64:ff9b:1::/48}): refused outright. It is an operator's own
 *     translator (IANA: not globally reachable), and where it embeds the IPv4 address depends on the
 *     prefix length that operator chose (RFC 6052 2.2), so no fixed position can be judged safely;</li>
 * <li>6to4 ({@code 2002::/16}) and Teredo ({@code 2001::/32}): refused outright. Both are
 *     deprecated tunnels that no webhook receiver needs, and the host that finally receives the packet
 *     is chosen by a relay (for Teredo, also by a server named in bits 32–63), not by the address we
 *     judge.</li>
 * </ul>
 */
public final class TargetAddresses {

    /** A block of addresses: a prefix of {@code bits} bits. */
    private record Block(byte[] prefix, int bits, String name) {

        static Block of(String cidr, String name) {
            int slash = cidr.indexOf('/');
            byte[] prefix = NetUtil.createByteArrayFromIpAddressString(cidr.substring(0, slash));
            return new Block(prefix, Integer.parseInt(cidr.substring(slash + 1)), name);
        }

        boolean contains(byte[] address) {
            if (address.length != prefix.length) {
                return false;
            }
            int whole = bits / 8;
            for (int i = 0; i < whole; i++) {
                if (address[i] != prefix[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (address[whole] & mask) == (prefix[whole] & mask);
        }
    }

    // The first block that holds an address names why it is refused, so narrower blocks come first.
    private static final List<Block> IPV4_REFUSED = List.of(
            Block.of("0.0.0.0/8", "this network"),
            Block.of("10.0.0.0/8", "private-use"),
            Block.of("100.64.0.0/10", "shared (carrier-grade NAT)"),
            Block.of("127.0.0.0/8", "loopback"),
            Block.of("169.254.0.0/16", "link-local (cloud metadata)"),
            Block.of("172.16.0.0/12", "private-use"),
            Block.of("192.0.0.0/24", "IETF protocol assignments"),
            Block.of("192.0.2.0/24", "documentation"),
            Block.of("192.88.99.0/24", "6to4 relay anycast"),
            Block.of("192.168.0.0/16", "private-use"),
            Block.of("198.18.0.0/15", "benchmarking"),
            Block.of("198.51.100.0/24", "documentation"),
            Block.of("203.0.113.0/24", "documentation"),
            Block.of("224.0.0.0/4", "multicast"),
            Block.of("255.255.255.255/32", "broadcast"),
            Block.of("240.0.0.0/4", "reserved"));

    private static final Block IPV4_MAPPED = Block.of("::ffff:0:0/96", "IPv4-mapped");
    private static final Block NAT64_WELL_KNOWN = Block.of("64:ff9b::/96", "NAT64");

    private static final List<Block> IPV6_REFUSED = List.of(
            Block.of("::/128", "unspecified"),
            Block.of("::1/128", "loopback"),
            Block.of("64:ff9b:1::/48", "NAT64 local-use"),
            Block.of("100::/64", "discard-only"),
            Block.of("2001::/32", "Teredo"),
            Block.of("2001:db8::/32", "documentation"),
            Block.of("2001::/23", "IETF protocol assignments"),
            Block.of("2002::/16", "6to4"),
            Block.of("3fff::/20", "documentation"),
            Block.of("fc00::/7", "unique-local"),
            Block.of("fe80::/10", "link-local"),
            Block.of("fec0::/10", "site-local"),
            Block.of("ff00::/8", "multicast"));

    private static final Block IPV4_COMPATIBLE = Block.of("::/96", "IPv4-compatible");
    private static final Block GLOBAL_UNICAST = Block.of("2000::/3", "global unicast");

    private TargetAddresses() {
    }

    /** Whether {@code address} is one a webhook must not be sent to. */
    public static boolean isForbidden(InetAddress address) {
        return refusal(address).isPresent();
    }

    /**
     * Why a webhook must not be sent to {@code address}, as the name of its kind ("loopback",
     * "private-use", "IPv4-mapped loopback", ...); empty for a global unicast address.
     */
    public static Optional<String> refusal(InetAddress address) {
        return Optional.ofNullable(refusal(address.getAddress()));
    }

    private static String refusal(byte[] address) {
        if (address.length == 4) {
            return firstHolding(IPV4_REFUSED, address);
        }
        for (Block embedding : List.of(IPV4_MAPPED, NAT64_WELL_KNOWN)) {
            if (embedding.contains(address)) {
                return embedded(embedding, address);
            }
        }
        String refused = firstHolding(IPV6_REFUSED, address);
        if (refused != null) {
            return refused;
        }
        if (IPV4_COMPATIBLE.contains(address)) {
            return embedded(IPV4_COMPATIBLE, address);
        }
        return GLOBAL_UNICAST.contains(address) ? null : "not global unicast";
    }

    private static String embedded(Block embedding, byte[] address) {
        byte[] ipv4 = {address[12], address[13], address[14], address[15]};
        String refused = firstHolding(IPV4_REFUSED, ipv4);
        return refused == null ? null : embedding.name() + " " + refused;
    }

    private static String firstHolding(List<Block> blocks, byte[] address) {
        for (Block block : blocks) {
            if (block.contains(address)) {
                return block.name();
            }
        }
        return null;
    }
}
