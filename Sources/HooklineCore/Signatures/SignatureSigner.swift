/// Produces the headers a sender attaches, for `hookline sign`, `replay --to` and tests.
package struct SignatureSigner: Sendable {
    package let scheme: any SignatureScheme
    private let key: HMACKey

    /// Signs with the first secret a receiver would accept.
    package init(scheme: any SignatureScheme, secret: String) throws(SignatureConfigurationError) {
        self.scheme = scheme
        self.key = try scheme.key(forSecret: secret)
    }

    /// The signature headers for `body`, sent as message `messageID` at `timestamp` (unix seconds).
    package func headers(for body: [UInt8], messageID: String, timestamp: Int64) throws(HMACError) -> [HeaderField] {
        try body.withUnsafeBytes { buffer in
            Result { () throws(HMACError) in
                try scheme.signatureHeaders(body: buffer, key: key, messageID: messageID, timestamp: timestamp)
            }
        }.get()
    }
}
