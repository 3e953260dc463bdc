#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address as its bytes. An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is
/// read as the IPv4 address it carries, so one rule matches a client however its socket saw it.
package struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6).
    package let bytes: [UInt8]

    package init?(_ text: some StringProtocol) {
        var text = String(text)
        // `[2001:db8::1]` as in a URL or a Forwarded header; a zone (`fe80::1%eth0`) is not one.
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        guard !text.isEmpty, text.utf8.count <= 45, !text.contains("%") else { return nil }
        if text.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            let raw = withUnsafeBytes(of: &address) { Array($0) }
            if raw[0..<10].allSatisfy({ $0 == 0 }), raw[10] == 0xFF, raw[11] == 0xFF {
                bytes = Array(raw[12..<16])
            } else {
                bytes = raw
            }
        } else {
            var address = in_addr()
            guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
            bytes = withUnsafeBytes(of: &address) { Array($0) }
        }
    }

    package var isIPv4: Bool { bytes.count == 4 }

    package var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv4 ? AF_INET : AF_INET6
        let written = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard written != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An address block (`10.0.0.0/8`, `2001:db8::/32`, or one address). IPv4 blocks match IPv4
/// clients, including those an IPv6 socket saw as IPv4-mapped.
package struct CIDR: Sendable, Hashable, CustomStringConvertible {
    package let network: IPAddress
    package let prefixLength: Int

    /// Reads `address/length`, or an address alone (the whole length). Host bits set below the
    /// prefix are refused: `10.0.0.1/8` is more likely a typo than a block.
    package init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        // Written as IPv6 (an IPv4-mapped block among them), the length counts 128 bits.
        let bits = parts[0].contains(":") ? 128 : 32
        var length = bits
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...bits).contains(given), !parts[1].hasPrefix("+") else { return nil }
            length = given
        }
        // An IPv4-mapped block (`::ffff:10.0.0.0/104`) is the IPv4 block it names.
        if parts[0].contains(":"), address.isIPv4 {
            guard length >= 96 else { return nil }
            length -= 96
        }
        guard Self.masked(address.bytes, length) == address.bytes else { return nil }
        self.network = address
        self.prefixLength = length
    }

    package func contains(_ address: IPAddress) -> Bool {
        address.bytes.count == network.bytes.count && Self.masked(address.bytes, prefixLength) == network.bytes
    }

    package var description: String { "\(network)/\(prefixLength)" }

    private static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let kept = max(0, min(8, length - index * 8))
            return kept == 8 ? byte : byte & ~(UInt8(0xFF) >> kept)
        }
    }
}

extension Array where Element == CIDR {
    package func contains(_ address: IPAddress) -> Bool { contains { $0.contains(address) } }
}

/// Who is calling: the socket's peer, unless the peer is a trusted proxy, in which case the
/// right-most address in `X-Forwarded-For` that is not itself a trusted proxy (the hops to its
/// right were added by proxies Hookline trusts; anything to its left, the caller could have
/// written). A header is never believed from a peer that is not trusted.
package enum ClientAddress {
    /// The client's address: `peer` when it is not a trusted proxy or the header says nothing
    /// usable; else the right-most untrusted hop. An entry that is not an address stops the walk
    /// at the trusted hop to its right.
    package static func resolve(peer: IPAddress?, forwardedFor: [String], trusted: [CIDR]) -> IPAddress? {
        guard let peer, !trusted.isEmpty, trusted.contains(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingWhitespace() }
        var client = peer
        for hop in hops.reversed() {
            guard let address = IPAddress(hop) else { return client }
            client = address
            if !trusted.contains(address) { return address }
        }
        return client
    }
}
