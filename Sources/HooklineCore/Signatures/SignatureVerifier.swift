/// Decides whether a webhook is genuine: one scheme, one or more secrets (rotation), and a
/// timestamp tolerance judged at receive time.
///
/// Keys are prepared once here; `verify` only reads them and is safe to call from every
/// event loop at once.
public struct SignatureVerifier: Sendable {
    public let scheme: any SignatureScheme
    public let keys: [HMACKey]
    public let tolerance: Duration

    /// Prepares every secret for `scheme`. Errors name the secret by position, never by value.
    public init(
        scheme: any SignatureScheme,
        secrets: [String],
        tolerance: Duration = .seconds(300)
    ) throws(SignatureConfigurationError) {
        guard !secrets.isEmpty else {
            throw SignatureConfigurationError(setting: "secrets", problem: "at least one secret is required")
        }
        var keys: [HMACKey] = []
        for (index, secret) in secrets.enumerated() {
            do {
                keys.append(try scheme.key(forSecret: secret))
            } catch {
                throw SignatureConfigurationError(setting: "secrets[\(index)]", problem: error.problem)
            }
        }
        guard tolerance > .zero else {
            throw SignatureConfigurationError(setting: "tolerance", problem: "must be greater than zero")
        }
        self.scheme = scheme
        self.keys = keys
        self.tolerance = tolerance
    }

    /// Checks `body` (the exact bytes received) and `headers`, as of `receivedAt`.
    public func verify(
        body: UnsafeRawBufferPointer,
        headers: some HeaderFields,
        receivedAt: UnixTime
    ) -> SignatureVerdict {
        scheme.verify(
            body: body, headers: headers, keys: keys,
            window: TimestampWindow(receivedAt: receivedAt, tolerance: tolerance))
    }

    /// The headers a sender would send with `body`, signed with the first (newest) secret.
    public func signatureHeaders(for body: [UInt8], messageID: String, timestamp: Int64) throws(HMACError) -> [HeaderField] {
        guard let key = keys.first else { return [] }
        return try body.withUnsafeBytes { buffer in
            Result { () throws(HMACError) in
                try scheme.signatureHeaders(body: buffer, key: key, messageID: messageID, timestamp: timestamp)
            }
        }.get()
    }

    /// Checks a body held in an array.
    public func verify(body: [UInt8], headers: some HeaderFields, receivedAt: UnixTime) -> SignatureVerdict {
        body.withUnsafeBytes { verify(body: $0, headers: headers, receivedAt: receivedAt) }
    }
}
