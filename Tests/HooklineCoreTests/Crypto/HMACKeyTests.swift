import HooklineCore
import Testing

@Suite("HMAC through the system OpenSSL")
struct HMACKeyTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let key: [UInt8]
        let data: [UInt8]
        let sha256: String
        let sha512: String
        var testDescription: String { name }
    }

    // RFC 4231 §4.2–4.8 (test case 5, a truncated MAC, is not a property of HMAC itself).
    static let rfc4231: [Vector] = [
        Vector(
            name: "RFC 4231 case 1", key: [UInt8](repeating: 0x0b, count: 20), data: bytes("Hi There"),
            sha256: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            sha512: "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"),
        Vector(
            name: "RFC 4231 case 2", key: bytes("Jefe"), data: bytes("what do ya want for nothing?"),
            sha256: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            sha512: "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"),
        Vector(
            name: "RFC 4231 case 3", key: [UInt8](repeating: 0xaa, count: 20), data: [UInt8](repeating: 0xdd, count: 50),
            sha256: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            sha512: "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"),
        Vector(
            name: "RFC 4231 case 4", key: Array(1...25), data: [UInt8](repeating: 0xcd, count: 50),
            sha256: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            sha512: "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"),
        Vector(
            name: "RFC 4231 case 6", key: [UInt8](repeating: 0xaa, count: 131),
            data: bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
            sha256: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            sha512: "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"),
        Vector(
            name: "RFC 4231 case 7", key: [UInt8](repeating: 0xaa, count: 131),
            data: bytes("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
            sha256: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            sha512: "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"),
    ]

    @Test("HMAC-SHA256 matches RFC 4231", arguments: rfc4231)
    func sha256(vector: Vector) throws {
        let key = try HMACKey(algorithm: .sha256, secret: vector.key)
        #expect(Hex.encode(try key.authenticationCode(message: vector.data)) == vector.sha256)
    }

    @Test("HMAC-SHA512 matches RFC 4231", arguments: rfc4231)
    func sha512(vector: Vector) throws {
        let key = try HMACKey(algorithm: .sha512, secret: vector.key)
        #expect(Hex.encode(try key.authenticationCode(message: vector.data)) == vector.sha512)
    }

    @Test("HMAC-SHA1 matches RFC 2202 cases 1 and 2")
    func sha1() throws {
        let first = try HMACKey(algorithm: .sha1, secret: [UInt8](repeating: 0x0b, count: 20))
        #expect(Hex.encode(try first.authenticationCode(message: bytes("Hi There"))) == "b617318655057264e28bc0b6fb378c8ef146be00")
        let second = try HMACKey(algorithm: .sha1, secret: "Jefe")
        #expect(
            Hex.encode(try second.authenticationCode(message: bytes("what do ya want for nothing?")))
                == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }

    @Test("a prefix and a message are MACed as one byte string")
    func prefixIsConcatenated() throws {
        let key = try HMACKey(algorithm: .sha256, secret: "Jefe")
        let split = try key.authenticationCode(prefix: bytes("what do ya "), message: bytes("want for nothing?"))
        #expect(Hex.encode(split) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("one key gives the same MAC when used again")
    func keyIsReusable() throws {
        let key = try HMACKey(algorithm: .sha256, secret: "Jefe")
        let first = try key.authenticationCode(message: bytes("one"))
        _ = try key.authenticationCode(message: bytes("two"))
        #expect(try key.authenticationCode(message: bytes("one")) == first)
    }

    @Test("reused contexts give the published MAC every time, from many tasks at once, after a prefix of any length")
    func reusedContextsStayKeyed() async throws {
        let key = try HMACKey(algorithm: .sha256, secret: "Jefe")
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        // More at once than the contexts kept for reuse, so some are made, kept, reset and freed.
        let results = try await withThrowingTaskGroup(of: [String].self) { group in
            for task in 0..<32 {
                group.addTask {
                    try (0..<50).map { round in
                        let cut = (task + round) % 28
                        let data = bytes("what do ya want for nothing?")
                        return Hex.encode(try key.authenticationCode(prefix: Array(data[..<cut]), message: Array(data[cut...])))
                    }
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(results.count == 32 * 50)
        #expect(results.allSatisfy { $0 == expected })
        // The stack-buffer form agrees, and compares without copying.
        let matched = try bytes("what do ya want for nothing?").withUnsafeBytes { message in
            try key.withAuthenticationCode(message: message) { mac in ConstantTime.equals(Hex.decode(expected) ?? [], mac) }
        }
        #expect(matched)
    }

    @Test("an empty secret is refused")
    func emptySecret() {
        #expect(throws: HMACError.emptyKey) { try HMACKey(algorithm: .sha256, secret: [UInt8]()) }
    }

    @Test("an empty message has a MAC")
    func emptyMessage() throws {
        let key = try HMACKey(algorithm: .sha256, secret: "key")
        // Python: hmac.new(b"key", b"", hashlib.sha256).hexdigest()
        #expect(
            Hex.encode(try key.authenticationCode(message: [UInt8]()))
                == "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0")
    }

    @Test("constant-time comparison needs equal length and equal bytes")
    func constantTimeEquals() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([], []))
    }
}
