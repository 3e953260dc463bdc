/// An HMAC of the raw body in one header, with no timestamp: the generic `hmac` scheme, and
/// the presets `github` (`X-Hub-Signature-256: sha256=<hex>`) and `plannr` (`X-Signature: <hex>`).
///
/// A header may carry several signatures separated by commas or spaces (secret rotation).
package struct HeaderHMACScheme: SignatureScheme {
    package let name: String
    package let header: String
    package let algorithm: HMACAlgorithm
    package let encoding: SignatureEncoding
    package let prefix: String

    /// GitHub: `X-Hub-Signature-256: sha256=<hex>`.
    package static let github = HeaderHMACScheme(
        name: "github", header: "X-Hub-Signature-256", algorithm: .sha256, encoding: .hex, prefix: "sha256=")
    /// Plannr: `X-Signature: hex(HMAC-SHA256(signing_secret, body))`.
    package static let plannr = HeaderHMACScheme(
        name: "plannr", header: "X-Signature", algorithm: .sha256, encoding: .hex, prefix: "")

    init(name: String, header: String, algorithm: HMACAlgorithm, encoding: SignatureEncoding, prefix: String) {
        self.name = name
        self.header = header
        self.algorithm = algorithm
        self.encoding = encoding
        self.prefix = prefix
    }

    /// The generic scheme from its options; `header` is required.
    package init(options: SignatureSchemeOptions) throws(SignatureConfigurationError) {
        guard let header = options.header, !header.isEmpty else {
            throw SignatureConfigurationError(setting: "header", problem: "the hmac scheme needs the name of its signature header")
        }
        guard header.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }) else {
            throw SignatureConfigurationError(setting: "header", problem: "'\(header)' is not a valid header name")
        }
        self.init(
            name: "hmac",
            header: header,
            algorithm: options.algorithm ?? .sha256,
            encoding: options.encoding ?? .hex,
            prefix: options.prefix ?? ""
        )
    }

    package func key(forSecret secret: String) throws(SignatureConfigurationError) -> HMACKey {
        try .configured(algorithm, secret: Array(secret.utf8))
    }

    package func verify(
        body: UnsafeRawBufferPointer,
        headers: some HeaderFields,
        keys: [HMACKey],
        window: TimestampWindow
    ) -> SignatureVerdict {
        let values = headers.values(forName: header)
        guard !values.isEmpty else { return .rejected(.missingHeader(header)) }
        let entries = values.flatMap { $0.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }) }
        guard !entries.isEmpty else { return .rejected(.malformedHeader(header, "the signature is empty")) }

        var candidates: [[UInt8]?] = []
        for entry in entries {
            guard entry.hasPrefix(prefix) else {
                return .rejected(.malformedHeader(header, "expected \(prefix)<\(encoding.rawValue) signature>"))
            }
            let encoded = entry.dropFirst(prefix.count)
            candidates.append(encoding == .hex ? Hex.decode(encoded) : Base64.decode(encoded))
        }
        return SignatureMatcher.verdict(candidates: candidates, header: header, prefix: [], body: body, keys: keys)
    }

    package func signatureHeaders(
        body: UnsafeRawBufferPointer,
        key: HMACKey,
        messageID: String,
        timestamp: Int64
    ) throws(HMACError) -> [HeaderField] {
        let mac = try key.authenticationCode(message: body)
        let encoded = encoding == .hex ? Hex.encode(mac) : Base64.encode(mac)
        return [HeaderField(name: header, value: prefix + encoded)]
    }
}
