import HooklineCore
import Testing

@Suite("Stripe, GitHub, Plannr and generic HMAC signatures")
struct HeaderSchemesTests {
    static let now = UnixTime(seconds: 1_700_000_000)

    @Test("GitHub's documented example verifies")
    func githubVector() throws {
        let verifier = try SignatureVerifier(scheme: SignatureSchemes.scheme(named: "github"), secrets: ["It's a Secret to Everybody"])
        let headers: HeaderList = ["X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"]
        #expect(verifier.verify(body: bytes("Hello, World!"), headers: headers, receivedAt: Self.now) == .verified(secretIndex: 0))
    }

    @Test("GitHub signatures without the sha256= prefix are malformed")
    func githubNeedsPrefix() throws {
        let verifier = try SignatureVerifier(scheme: SignatureSchemes.scheme(named: "github"), secrets: ["It's a Secret to Everybody"])
        let headers: HeaderList = ["X-Hub-Signature-256": "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"]
        let verdict = verifier.verify(body: bytes("Hello, World!"), headers: headers, receivedAt: Self.now)
        #expect(verdict == .rejected(.malformedHeader("X-Hub-Signature-256", "expected sha256=<hex signature>")))
    }

    @Test("Plannr's X-Signature is hex HMAC-SHA256 of the body")
    func plannr() throws {
        // Python: hmac.new(b"p" * 60, b'{"event":"account.updated"}', hashlib.sha256).hexdigest()
        let verifier = try SignatureVerifier(scheme: SignatureSchemes.scheme(named: "plannr"), secrets: [String(repeating: "p", count: 60)])
        let headers: HeaderList = ["x-signature": "1768c3cfc04c8fcbf5a439a2084119ebe3ed82459b741bec478447880a0cf879"]
        #expect(verifier.verify(body: bytes(#"{"event":"account.updated"}"#), headers: headers, receivedAt: Self.now) == .verified(secretIndex: 0))
        #expect(
            verifier.verify(body: bytes(#"{"event":"account.updated "}"#), headers: headers, receivedAt: Self.now)
                == .rejected(.noMatchingSignature("X-Signature", checked: 1)))
    }

    @Test("Stripe-Signature verifies a v1 signature of t.body with the whole secret as key")
    func stripe() throws {
        // Python: hmac.new(b"whsec_test_secret", b'1700000000.{"id":"evt_1","object":"event"}', hashlib.sha256).hexdigest()
        let verifier = try SignatureVerifier(scheme: SignatureSchemes.scheme(named: "stripe"), secrets: ["whsec_test_secret"])
        let signature = "0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd"
        let body = bytes(#"{"id":"evt_1","object":"event"}"#)
        let headers: HeaderList = ["Stripe-Signature": "t=1700000000,v1=\(signature),v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"]
        #expect(verifier.verify(body: body, headers: headers, receivedAt: Self.now) == .verified(secretIndex: 0))
    }

    @Test("Stripe-Signature: only v1 counts, t is required, tolerance applies")
    func stripeRejections() throws {
        let verifier = try SignatureVerifier(scheme: SignatureSchemes.scheme(named: "stripe"), secrets: ["whsec_test_secret"])
        let body = bytes(#"{"id":"evt_1","object":"event"}"#)
        let signature = "0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd"
        func verdict(_ value: String, at time: UnixTime = Self.now) -> SignatureVerdict {
            verifier.verify(body: body, headers: ["Stripe-Signature": value] as HeaderList, receivedAt: time)
        }
        #expect(verdict("t=1700000000,v0=\(signature)") == .rejected(.malformedHeader("Stripe-Signature", "no v1= signature")))
        #expect(verdict("v1=\(signature)") == .rejected(.malformedHeader("Stripe-Signature", "no t= timestamp")))
        #expect(verdict("garbage") == .rejected(.malformedHeader("Stripe-Signature", "expected t=<timestamp>,v1=<hex signature>")))
        #expect(
            verdict("t=1700000000,v1=\(signature)", at: UnixTime(seconds: 1_700_000_400))
                == .rejected(.timestampTooOld("Stripe-Signature t=", ageSeconds: 400, toleranceSeconds: 300)))
        #expect(verdict("t=1700000001,v1=\(signature)") == .rejected(.noMatchingSignature("Stripe-Signature", checked: 1)))
        #expect(verifier.verify(body: body, headers: HeaderList(), receivedAt: Self.now) == .rejected(.missingHeader("Stripe-Signature")))
    }

    @Test("generic hmac: sha1 in base64 and sha512 in hex, with and without a prefix")
    func genericHMAC() throws {
        // Python: base64.b64encode(hmac.new(b"topsecret", b'{"a":1}', hashlib.sha1).digest())
        let sha1 = try SignatureVerifier(
            scheme: SignatureSchemes.scheme(named: "hmac", options: .init(header: "X-Sig", algorithm: .sha1, encoding: .base64)),
            secrets: ["topsecret"])
        #expect(sha1.verify(body: bytes(#"{"a":1}"#), headers: ["X-Sig": "xk2HqR+uvraFfP0RLtZ+ImjvCEw="] as HeaderList, receivedAt: Self.now) == .verified(secretIndex: 0))

        // Python: hmac.new(b"topsecret", b'{"a":1}', hashlib.sha512).hexdigest()
        let sha512Hex = "e44fba55c3d6d225eff5c69bd3dcfaaa8cd879829d314abc7b93736b24f0deb684ae865ed2b0e2e3373fddc653ade71962a7c653b8bb4dae6cce968ca752ccaa"
        let sha512 = try SignatureVerifier(
            scheme: SignatureSchemes.scheme(named: "hmac", options: .init(header: "X-Sig", algorithm: .sha512, encoding: .hex, prefix: "sha512=")),
            secrets: ["topsecret"])
        #expect(sha512.verify(body: bytes(#"{"a":1}"#), headers: ["x-sig": "sha512=\(sha512Hex)"] as HeaderList, receivedAt: Self.now) == .verified(secretIndex: 0))
        #expect(
            sha512.verify(body: bytes(#"{"a":1}"#), headers: ["x-sig": "sha512=\(sha512Hex.dropLast(2))"] as HeaderList, receivedAt: Self.now)
                == .rejected(.noMatchingSignature("X-Sig", checked: 1)))
    }

    @Test("generic hmac accepts any of several comma-separated signatures")
    func genericRotation() throws {
        let scheme = try SignatureSchemes.scheme(named: "hmac", options: .init(header: "X-Sig"))
        let verifier = try SignatureVerifier(scheme: scheme, secrets: ["old", "new"])
        let signed = try SignatureSigner(scheme: scheme, secret: "new").headers(for: bytes("body"), messageID: "", timestamp: 0)
        let value = "\(String(repeating: "0", count: 64)), \(signed[0].value)"
        #expect(verifier.verify(body: bytes("body"), headers: ["X-Sig": value] as HeaderList, receivedAt: Self.now) == .verified(secretIndex: 1))
        #expect(verifier.verify(body: bytes("body"), headers: ["X-Sig": ""] as HeaderList, receivedAt: Self.now) == .rejected(.malformedHeader("X-Sig", "the signature is empty")))
    }

    @Test("generic hmac needs a header name, and unknown schemes are named")
    func configurationErrors() {
        #expect(throws: SignatureConfigurationError(setting: "header", problem: "the hmac scheme needs the name of its signature header")) {
            try SignatureSchemes.scheme(named: "hmac")
        }
        #expect(throws: SignatureConfigurationError.self) { try SignatureSchemes.scheme(named: "hamc") }
        #expect(throws: SignatureConfigurationError.self) { try SignatureSchemes.scheme(named: "hmac", options: .init(header: "Bad: Header")) }
    }

    @Test("an empty secret list is a configuration error")
    func noSecrets() {
        #expect(throws: SignatureConfigurationError(setting: "secrets", problem: "at least one secret is required")) {
            try SignatureVerifier(scheme: StandardWebhooksScheme(), secrets: [])
        }
    }
}
