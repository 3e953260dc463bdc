/// Stripe-style: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]` over `"{t}.{body}"`.
/// The key is the secret string's UTF-8 bytes, `whsec_` included; only `v1` entries count.
package struct StripeScheme: SignatureScheme {
    package let name = "stripe"
    static let header = "Stripe-Signature"

    package init() {}

    package func key(forSecret secret: String) throws(SignatureConfigurationError) -> HMACKey {
        try .configured(.sha256, secret: Array(secret.utf8))
    }

    package func verify(
        body: UnsafeRawBufferPointer,
        headers: some HeaderFields,
        keys: [HMACKey],
        window: TimestampWindow
    ) -> SignatureVerdict {
        let values = headers.values(forName: Self.header)
        guard !values.isEmpty else { return .rejected(.missingHeader(Self.header)) }

        var timestamp: Substring?
        var candidates: [[UInt8]?] = []
        for item in values.flatMap({ $0.split(separator: ",") }) {
            let pair = item.trimmingWhitespace()
            guard let equals = pair.firstIndex(of: "=") else {
                return .rejected(.malformedHeader(Self.header, "expected t=<timestamp>,v1=<hex signature>"))
            }
            let value = pair[pair.index(after: equals)...]
            switch pair[..<equals] {
            case "t": timestamp = timestamp ?? value
            case "v1": candidates.append(Hex.decode(value))
            default: continue
            }
        }
        guard let timestamp else { return .rejected(.malformedHeader(Self.header, "no t= timestamp")) }
        if let rejection = window.check(String(timestamp), header: "\(Self.header) t=") { return .rejected(rejection) }
        guard !candidates.isEmpty else { return .rejected(.malformedHeader(Self.header, "no v1= signature")) }
        return SignatureMatcher.verdict(
            candidates: candidates, header: Self.header, prefix: Array("\(timestamp).".utf8), body: body, keys: keys)
    }

    package func signatureHeaders(
        body: UnsafeRawBufferPointer,
        key: HMACKey,
        messageID: String,
        timestamp: Int64
    ) throws(HMACError) -> [HeaderField] {
        let mac = try key.authenticationCode(prefix: Array("\(timestamp).".utf8), message: body)
        return [HeaderField(name: Self.header, value: "t=\(timestamp),v1=\(Hex.encode(mac))")]
    }
}
