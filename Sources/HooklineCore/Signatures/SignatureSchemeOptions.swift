/// How a signature is written into its header, for schemes that let the operator choose.
package enum SignatureEncoding: String, Sendable, Hashable, CaseIterable, Codable {
    case hex
    case base64
}

/// The settings of the generic `hmac` scheme; the fixed schemes ignore them.
package struct SignatureSchemeOptions: Sendable, Hashable {
    /// The header carrying the signature.
    package var header: String?
    /// The digest; sha256 when not given.
    package var algorithm: HMACAlgorithm?
    /// How the MAC is written; hex when not given.
    package var encoding: SignatureEncoding?
    /// Text before each signature, such as `sha256=`.
    package var prefix: String?

    package init(
        header: String? = nil,
        algorithm: HMACAlgorithm? = nil,
        encoding: SignatureEncoding? = nil,
        prefix: String? = nil
    ) {
        self.header = header
        self.algorithm = algorithm
        self.encoding = encoding
        self.prefix = prefix
    }
}
