import HooklineCore
import Testing

@Suite("who is calling: addresses, blocks, and X-Forwarded-For from trusted proxies")
struct ClientAddressTests {
    static func address(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }
    static func blocks(_ texts: String...) throws -> [CIDR] { try texts.map { try #require(CIDR($0)) } }

    @Test("IPv4, IPv6 and IPv4-mapped addresses all match the blocks they belong to")
    func matching() throws {
        let blocks = try Self.blocks("10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::ffff:198.51.100.0/120")
        for inside in ["10.1.2.3", "10.255.255.255", "192.0.2.7", "2001:db8::1", "2001:db8:ffff::abcd", "::ffff:10.9.8.7", "198.51.100.200", "::ffff:198.51.100.1", "[2001:db8::5]"] {
            #expect(blocks.contains(try Self.address(inside)), "\(inside)")
        }
        for outside in ["11.0.0.1", "192.0.2.8", "2001:db9::1", "::1", "127.0.0.1", "::ffff:11.0.0.1", "198.51.101.1", "::10.1.2.3"] {
            #expect(!blocks.contains(try Self.address(outside)), "\(outside)")
        }
        #expect(try Self.address("::ffff:10.1.2.3").description == "10.1.2.3")
        #expect(try Self.address("2001:0db8:0000::0001").description == "2001:db8::1")
        #expect(try Self.blocks("0.0.0.0/0")[0].contains(try Self.address("203.0.113.9")))
        #expect(!(try Self.blocks("0.0.0.0/0")[0].contains(try Self.address("2001:db8::1"))), "an IPv4 block never matches IPv6")
        #expect(try Self.blocks("::/0")[0].contains(try Self.address("2001:db8::1")))
    }

    @Test("what is not an address or a block is refused")
    func malformed() {
        for bad in ["", "10.0.0", "10.0.0.256", "1.2.3.4.5", "fe80::1%eth0", "2001:db8::/129", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.1/8", "abc", "::ffff:10.0.0.0/95", "10.0.0.0/"] {
            #expect(CIDR(bad) == nil, "\(bad)")
        }
        for bad in ["", "1.2.3", "::g", "1.2.3.4 ", "10.0.0.1/8"] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }

    @Test("X-Forwarded-For counts only from a trusted peer, and gives the right-most hop no trusted proxy added")
    func forwardedFor() throws {
        let trusted = try Self.blocks("127.0.0.1", "10.0.0.0/8")
        let peer = try Self.address("127.0.0.1")
        func resolve(_ peer: IPAddress, _ header: [String], trusted: [CIDR] = trusted) -> String? {
            ClientAddress.resolve(peer: peer, forwardedFor: header, trusted: trusted)?.description
        }
        // A spoofed header from an untrusted peer is ignored.
        #expect(resolve(try Self.address("203.0.113.50"), ["198.51.100.1"]) == "203.0.113.50")
        // No trusted proxies configured: never a header.
        #expect(resolve(peer, ["198.51.100.1"], trusted: []) == "127.0.0.1")
        // One trusted proxy in front.
        #expect(resolve(peer, ["203.0.113.7"]) == "203.0.113.7")
        // Two trusted proxies: the client put a lie on the left, and the right-most untrusted hop wins.
        #expect(resolve(peer, ["6.6.6.6, 203.0.113.7, 10.1.2.3"]) == "203.0.113.7")
        #expect(resolve(peer, ["6.6.6.6", "203.0.113.7", "10.1.2.3"]) == "203.0.113.7", "several header lines are one list")
        // Every hop trusted: the left-most.
        #expect(resolve(peer, ["10.0.0.5, 10.1.2.3"]) == "10.0.0.5")
        // A hop that is not an address stops the walk at the trusted hop to its right.
        #expect(resolve(peer, ["203.0.113.7, garbage, 10.1.2.3"]) == "10.1.2.3")
        #expect(resolve(peer, ["unknown"]) == "127.0.0.1")
        // No header: the peer.
        #expect(resolve(peer, []) == "127.0.0.1")
        #expect(resolve(peer, ["[2001:db8::7]"]) == "2001:db8::7")
    }

    @Test("server.trusted_proxies and sources[].allow are read strictly")
    func configuration() throws {
        let yaml = """
            server: {trusted_proxies: [10.0.0.0/8, "::1"]}
            sources:
              - name: standard
                kind: standard
                allow: [192.0.2.0/24, 2001:db8::/32]
                signature: {scheme: standard-webhooks, secret: "${STANDARD_WEBHOOK_SECRET}"}
            """
        let configuration = try ConfigurationLoaderTests.load(yaml)
        #expect(configuration.server.trustedProxies.map(\.description) == ["10.0.0.0/8", "::1/128"])
        #expect(configuration.sources[0].allow.map(\.description) == ["192.0.2.0/24", "2001:db8::/32"])
        #expect(
            ConfigurationLoaderTests.error(yaml.replacingOccurrences(of: "192.0.2.0/24", with: "192.0.2.1/24"))?
                .contains("sources[0].allow: '192.0.2.1/24' is not an address or address block") == true)
        #expect(ConfigurationLoaderTests.error(yaml.replacingOccurrences(of: "10.0.0.0/8", with: "ten"))?.contains("server.trusted_proxies: 'ten'") == true)
    }
}
