/// The PROXY protocol header (HAProxy's, versions 1 and 2) that a load balancer sends before a
/// connection's first byte, naming the client it accepted. With `server.proxy_protocol: true`
/// every connection must start with one.
package enum ProxyProtocol {
    /// What the first bytes of a connection hold.
    package enum Parse: Sendable, Hashable {
        /// Not enough bytes yet to tell.
        case needMore
        /// A header of `length` bytes naming `source` (nil: a `LOCAL` or `UNKNOWN` header, such as
        /// a balancer's health check — the socket's peer stands).
        case header(length: Int, source: IPAddress?)
        /// Not a PROXY header, or a malformed one: the connection is closed.
        case invalid(String)
    }

    /// Version 1 headers are one line of at most 107 bytes.
    static let maximumV1Length = 107
    /// Version 2 headers carry addresses and TLVs; more than this is refused.
    static let maximumV2Length = 16 + 1024
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    static let v1Prefix = Array("PROXY ".utf8)

    package static func parse(_ bytes: some Collection<UInt8>) -> Parse {
        let bytes = Array(bytes.prefix(maximumV2Length))
        if bytes.first == v2Signature[0] {
            let known = min(bytes.count, v2Signature.count)
            guard bytes.prefix(known).elementsEqual(v2Signature.prefix(known)) else { return .invalid("not a PROXY protocol header") }
            return bytes.count < 16 ? .needMore : parseV2(bytes)
        }
        let known = min(bytes.count, v1Prefix.count)
        guard bytes.prefix(known).elementsEqual(v1Prefix.prefix(known)) else { return .invalid("not a PROXY protocol header") }
        guard let end = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
            return bytes.count >= maximumV1Length ? .invalid("a version 1 header longer than 107 bytes") : .needMore
        }
        guard end + 1 <= maximumV1Length, end > 0, bytes[end - 1] == UInt8(ascii: "\r") else {
            return .invalid("a version 1 header must end in CRLF within 107 bytes")
        }
        return parseV1(bytes[..<(end - 1)], length: end + 1)
    }

    private static func parseV1(_ line: ArraySlice<UInt8>, length: Int) -> Parse {
        let fields = String(decoding: line, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count >= 2 else { return .invalid("a version 1 header without a protocol") }
        switch fields[1] {
        case "UNKNOWN":
            return .header(length: length, source: nil)
        case "TCP4", "TCP6":
            guard fields.count == 6 else { return .invalid("a version 1 \(fields[1]) header needs two addresses and two ports") }
            guard let source = IPAddress(fields[2]), let destination = IPAddress(fields[3]),
                source.isIPv4 == (fields[1] == "TCP4"), destination.isIPv4 == (fields[1] == "TCP4"),
                fields[2].contains(":") == (fields[1] == "TCP6")
            else { return .invalid("a version 1 header with an address that is not \(fields[1])") }
            for port in fields[4...5] {
                guard let number = Int(port), (0...65535).contains(number), port.first != "+", !(port.count > 1 && port.first == "0") else {
                    return .invalid("a version 1 header with a port that is not one")
                }
            }
            return .header(length: length, source: source)
        default:
            return .invalid("a version 1 header with protocol '\(fields[1].prefix(16))'")
        }
    }

    private static func parseV2(_ bytes: [UInt8]) -> Parse {
        let versionAndCommand = bytes[12]
        guard versionAndCommand >> 4 == 2 else { return .invalid("a version 2 header of version \(versionAndCommand >> 4)") }
        let addressLength = Int(bytes[14]) << 8 | Int(bytes[15])
        let length = 16 + addressLength
        guard length <= maximumV2Length else { return .invalid("a version 2 header of \(length) bytes") }
        guard bytes.count >= length else { return .needMore }
        switch versionAndCommand & 0x0F {
        case 0x0:
            return .header(length: length, source: nil)  // LOCAL: the balancer's own connection
        case 0x1:
            break
        default:
            return .invalid("a version 2 header with command \(versionAndCommand & 0x0F)")
        }
        let family = bytes[13] >> 4
        let body = bytes[16..<length]
        switch family {
        case 0x1:  // AF_INET: source, destination, ports
            guard addressLength >= 12 else { return .invalid("a version 2 IPv4 header too short for its addresses") }
            let source = body.prefix(4).map(String.init).joined(separator: ".")
            return .header(length: length, source: IPAddress(source))
        case 0x2:  // AF_INET6
            guard addressLength >= 36 else { return .invalid("a version 2 IPv6 header too short for its addresses") }
            let raw = Array(body.prefix(16))
            let groups = stride(from: 0, to: 16, by: 2).map { String(Int(raw[$0]) << 8 | Int(raw[$0 + 1]), radix: 16) }
            return .header(length: length, source: IPAddress(groups.joined(separator: ":")))
        case 0x0, 0x3:  // UNSPEC or a UNIX socket: no address to take
            return .header(length: length, source: nil)
        default:
            return .invalid("a version 2 header with address family \(family)")
        }
    }
}
