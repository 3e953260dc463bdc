import HooklineCore
import Testing

@Suite("the PROXY protocol header, versions 1 and 2")
struct ProxyProtocolTests {
    static func v2(command: UInt8 = 0x1, family: UInt8, address: [UInt8], tlv: [UInt8] = []) -> [UInt8] {
        let body = address + tlv
        return [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20 | command, family << 4 | 0x1,
            UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    }

    @Test("version 1: TCP4, TCP6 and UNKNOWN, as the specification writes them; the bytes after the header are left")
    func version1() throws {
        let tcp4 = Array("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n".utf8)
        #expect(ProxyProtocol.parse(tcp4) == .header(length: 47, source: IPAddress("192.168.0.1")))
        let tcp6 = Array("PROXY TCP6 2001:db8::7 2001:db8::1 56324 443\r\n".utf8)
        #expect(ProxyProtocol.parse(tcp6) == .header(length: tcp6.count, source: IPAddress("2001:db8::7")))
        let unknown = Array("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n".utf8)
        #expect(ProxyProtocol.parse(unknown) == .header(length: unknown.count, source: nil))
        // Byte by byte: more is needed until the line ends.
        for end in 1..<47 { #expect(ProxyProtocol.parse(tcp4.prefix(end)) == .needMore, "\(end)") }
    }

    @Test("version 2: IPv4, IPv6, LOCAL, with TLVs after the addresses")
    func version2() {
        let inet = Self.v2(family: 0x1, address: [203, 0, 113, 7, 192, 0, 2, 1, 0xDC, 0x04, 0x01, 0xBB], tlv: [0x04, 0x00, 0x01, 0x00])
        #expect(ProxyProtocol.parse(inet + Array("POST".utf8)) == .header(length: inet.count, source: IPAddress("203.0.113.7")))
        var address6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [0x07]
        address6 += [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [0x01] + [0xDC, 0x04, 0x01, 0xBB]
        let inet6 = Self.v2(family: 0x2, address: address6)
        #expect(ProxyProtocol.parse(inet6) == .header(length: inet6.count, source: IPAddress("2001:db8::7")))
        let local = Self.v2(command: 0x0, family: 0x0, address: [])
        #expect(ProxyProtocol.parse(local) == .header(length: 16, source: nil))
        for end in 1..<inet.count { #expect(ProxyProtocol.parse(inet.prefix(end)) == .needMore, "\(end)") }
    }

    @Test("what is not a header, or a malformed one, is refused")
    func malformed() {
        for text in [
            "GET / HTTP/1.1\r\n", "POST /webhooks/standard HTTP/1.1\r\n", "PROXY TCP4 bogus\r\n", "PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n",
            "PROXY TCP4 2001:db8::1 192.168.0.11 1 2\r\n", "PROXY TCP6 192.168.0.1 192.168.0.11 1 2\r\n", "PROXY TCP4 192.168.0.1 192.168.0.11 99999 443\r\n",
            "PROXY TCP4 192.168.0.1 192.168.0.11 056324 443\r\n", "PROXY UDP4 192.168.0.1 192.168.0.11 1 2\r\n",
            "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\n", "PROXY " + String(repeating: "x", count: 120),
        ] {
            guard case .invalid = ProxyProtocol.parse(Array(text.utf8)) else {
                Issue.record("accepted \(text.debugDescription)")
                continue
            }
        }
        let wrongVersion = Self.v2(family: 0x1, address: Array(repeating: 1, count: 12)).enumerated().map { $0.offset == 12 ? UInt8(0x31) : $0.element }
        #expect(ProxyProtocol.parse(wrongVersion) == .invalid("a version 2 header of version 3"))
        let shortAddress = Self.v2(family: 0x1, address: [1, 2, 3, 4])
        #expect(ProxyProtocol.parse(shortAddress) == .invalid("a version 2 IPv4 header too short for its addresses"))
        let huge: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0xFF, 0xFF]
        #expect(ProxyProtocol.parse(huge) == .invalid("a version 2 header of 65551 bytes"))
    }
}
