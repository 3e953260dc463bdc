import HooklineCore
import Testing

@Suite("Standard Webhooks signatures")
struct StandardWebhooksSchemeTests {
    // The published Standard Webhooks vector (reference/apis.md).
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1_614_265_330
    static let payload = bytes(#"{"test": 2432232314}"#)
    static let signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    static let receivedAt = UnixTime(seconds: timestamp + 10)

    static func verifier(_ secrets: [String] = [secret]) throws -> SignatureVerifier {
        try SignatureVerifier(scheme: StandardWebhooksScheme(), secrets: secrets)
    }

    static func headers(signature: String = signature, timestamp: String = String(timestamp)) -> HeaderList {
        ["webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature]
    }

    @Test("the published vector verifies", arguments: [secret, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
    func publishedVector(secret: String) throws {
        let verdict = try Self.verifier([secret]).verify(body: Self.payload, headers: Self.headers(), receivedAt: Self.receivedAt)
        #expect(verdict == .verified(secretIndex: 0))
    }

    @Test("the Svix documentation vector verifies under svix- header names")
    func svixVector() throws {
        let verifier = try SignatureVerifier(scheme: StandardWebhooksScheme(), secrets: ["whsec_plJ3nmyCDGBKInavdOK15jsl"])
        let headers: HeaderList = [
            "svix-id": "msg_loFOjxBNrRLzqYUf", "svix-timestamp": "1731705121",
            "svix-signature": "v1,rAvfW3dJ/X/qxhsaXPOyyCGmRKsaKWcsNccKXlIktD0=",
        ]
        let body = bytes(#"{"event_type":"ping","data":{"success":true}}"#)
        #expect(verifier.verify(body: body, headers: headers, receivedAt: UnixTime(seconds: 1_731_705_121)) == .verified(secretIndex: 0))
    }

    @Test("signing reproduces the published vector")
    func signReproducesVector() throws {
        let signer = try SignatureSigner(scheme: StandardWebhooksScheme(), secret: Self.secret)
        let headers = try signer.headers(for: Self.payload, messageID: Self.id, timestamp: Self.timestamp)
        #expect(headers == Self.headers().fields)
    }

    @Test("one flipped body byte is rejected")
    func flippedByte() throws {
        for position in Self.payload.indices {
            var body = Self.payload
            body[position] ^= 0x01
            let verdict = try Self.verifier().verify(body: body, headers: Self.headers(), receivedAt: Self.receivedAt)
            #expect(verdict == .rejected(.noMatchingSignature("webhook-signature", checked: 1)))
        }
    }

    @Test("a different secret is rejected")
    func wrongSecret() throws {
        let verdict = try Self.verifier(["whsec_" + Base64.encode(bytes("another secret entirely"))])
            .verify(body: Self.payload, headers: Self.headers(), receivedAt: Self.receivedAt)
        #expect(verdict == .rejected(.noMatchingSignature("webhook-signature", checked: 1)))
    }

    @Test("a timestamp older than the tolerance is rejected")
    func staleTimestamp() throws {
        let verdict = try Self.verifier().verify(
            body: Self.payload, headers: Self.headers(), receivedAt: UnixTime(seconds: Self.timestamp + 301))
        #expect(verdict == .rejected(.timestampTooOld("webhook-timestamp", ageSeconds: 301, toleranceSeconds: 300)))
    }

    @Test("a timestamp further ahead than the tolerance is rejected")
    func futureTimestamp() throws {
        let verdict = try Self.verifier().verify(
            body: Self.payload, headers: Self.headers(), receivedAt: UnixTime(seconds: Self.timestamp - 301))
        #expect(verdict == .rejected(.timestampTooNew("webhook-timestamp", aheadSeconds: 301, toleranceSeconds: 300)))
    }

    @Test("a timestamp exactly at the tolerance in either direction is accepted")
    func toleranceEdges() throws {
        let verifier = try Self.verifier()
        for offset: Int64 in [-300, 300] {
            let verdict = verifier.verify(body: Self.payload, headers: Self.headers(), receivedAt: UnixTime(seconds: Self.timestamp + offset))
            #expect(verdict == .verified(secretIndex: 0))
        }
    }

    @Test("a missing header is named", arguments: ["webhook-id", "webhook-timestamp", "webhook-signature"])
    func missingHeader(name: String) throws {
        let headers = HeaderList(Self.headers().fields.filter { $0.name != name })
        let verdict = try Self.verifier().verify(body: Self.payload, headers: headers, receivedAt: Self.receivedAt)
        #expect(verdict == .rejected(.missingHeader(name)))
    }

    @Test("a timestamp that is not unix seconds is malformed", arguments: ["", "soon", "1614265330.5", "-1614265330", "99999999999999999999"])
    func garbledTimestamp(value: String) throws {
        let verdict = try Self.verifier().verify(body: Self.payload, headers: Self.headers(timestamp: value), receivedAt: Self.receivedAt)
        guard case .rejected(let rejection) = verdict else {
            Issue.record("accepted a garbled timestamp")
            return
        }
        #expect(rejection.reason == .malformedHeader)
        #expect(rejection.message.contains("webhook-timestamp"))
    }

    @Test("a garbled signature list is malformed", arguments: ["g0hM9SsE+OTPJTGt", "v1a,abc", "", "   "])
    func garbledSignature(value: String) throws {
        let verdict = try Self.verifier().verify(body: Self.payload, headers: Self.headers(signature: value), receivedAt: Self.receivedAt)
        guard case .rejected(let rejection) = verdict else {
            Issue.record("accepted a garbled signature header")
            return
        }
        #expect(rejection.reason == .malformedHeader)
    }

    @Test("a signature of the wrong length never matches")
    func wrongLength() throws {
        let truncated = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJE"
        let verdict = try Self.verifier().verify(body: Self.payload, headers: Self.headers(signature: truncated), receivedAt: Self.receivedAt)
        #expect(verdict == .rejected(.noMatchingSignature("webhook-signature", checked: 1)))
    }

    @Test("any one matching signature among several is enough")
    func severalSignatures() throws {
        let list = "v1,bm90IHRoZSByaWdodCBvbmU= v1a,ignoredAsymmetric \(Self.signature)"
        let verdict = try Self.verifier().verify(body: Self.payload, headers: Self.headers(signature: list), receivedAt: Self.receivedAt)
        #expect(verdict == .verified(secretIndex: 0))
    }

    @Test("during rotation either of two secrets is accepted")
    func rotation() throws {
        let newSecret = "whsec_" + Base64.encode(bytes("the next secret, rotated in"))
        let verifier = try Self.verifier([newSecret, Self.secret])
        #expect(verifier.verify(body: Self.payload, headers: Self.headers(), receivedAt: Self.receivedAt) == .verified(secretIndex: 1))

        let signedWithNew = try SignatureSigner(scheme: StandardWebhooksScheme(), secret: newSecret)
            .headers(for: Self.payload, messageID: Self.id, timestamp: Self.timestamp)
        #expect(verifier.verify(body: Self.payload, headers: HeaderList(signedWithNew), receivedAt: Self.receivedAt) == .verified(secretIndex: 0))
    }

    @Test("a secret that is not base64 is a configuration error naming its position")
    func badSecret() {
        #expect(throws: SignatureConfigurationError.self) {
            try SignatureVerifier(scheme: StandardWebhooksScheme(), secrets: [Self.secret, "whsec_not base64!"])
        }
        do {
            _ = try SignatureVerifier(scheme: StandardWebhooksScheme(), secrets: [Self.secret, "whsec_not base64!"])
        } catch {
            #expect(error.setting == "secrets[1]")
            #expect(!error.description.contains("not base64!"))
        }
    }

    @Test("rejections never reveal the expected signature")
    func rejectionHidesExpected() throws {
        let verdict = try Self.verifier().verify(body: bytes("{}"), headers: Self.headers(), receivedAt: Self.receivedAt)
        guard case .rejected(let rejection) = verdict else {
            Issue.record("accepted a wrong body")
            return
        }
        let expected = try SignatureSigner(scheme: StandardWebhooksScheme(), secret: Self.secret)
            .headers(for: bytes("{}"), messageID: Self.id, timestamp: Self.timestamp)[2].value
        #expect(!rejection.message.contains(expected.dropFirst(3)))
        #expect(!rejection.message.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    }

    @Test("the body is verified as raw bytes, not as UTF-8 text")
    func binaryBody() throws {
        let body: [UInt8] = [0xff, 0xfe, 0x00, 0x80, 0x7b]
        let headers = try SignatureSigner(scheme: StandardWebhooksScheme(), secret: Self.secret)
            .headers(for: body, messageID: Self.id, timestamp: Self.timestamp)
        #expect(try Self.verifier().verify(body: body, headers: HeaderList(headers), receivedAt: Self.receivedAt) == .verified(secretIndex: 0))
    }
}
