/// Decides whether a webhook is genuine: one scheme, one or more secrets (rotation), and a
/// timestamp tolerance judged at receive time.
///
/// Keys are prepared once here; `verify` only reads them and is safe to call from every
/// event loop at once.
package struct SignatureVerifier: Sendable {
    package let scheme: any SignatureScheme
    package let keys: [HMACKey]
    package let tolerance: Duration

    /// Prepares every secret for `scheme`. Errors name the secret by position, never by value.
    package init(
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
    package func verify(
        body: UnsafeRawBufferPointer,
        headers: some HeaderFields,
        receivedAt: UnixTime
    ) -> SignatureVerdict {
        scheme.verify(
            body: body, headers: headers, keys: keys,
            window: TimestampWindow(receivedAt: receivedAt, tolerance: tolerance))
    }

    /// The headers a sender would send with `body`, signed with the first (newest) secret.
    package func signatureHeaders(for body: [UInt8], messageID: String, timestamp: Int64) throws(HMACError) -> [HeaderField] {
        guard let key = keys.first else { return [] }
        return try body.withUnsafeBytes { buffer in
            Result { () throws(HMACError) in
                try scheme.signatureHeaders(body: buffer, key: key, messageID: messageID, timestamp: timestamp)
            }
        }.get()
    }

    /// Checks a body held in an array.
    package func verify(body: [UInt8], headers: some HeaderFields, receivedAt: UnixTime) -> SignatureVerdict {
        body.withUnsafeBytes { verify(body: $0, headers: headers, receivedAt: receivedAt) }
    }
}
